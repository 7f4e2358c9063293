import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tryTakeLockFile } from '../../../../src/adapters/local/files';

describe('cross-process lock files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pulse-lake-locks-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes at once a fresh lock whose holder process has exited (killed with SIGKILL, it never removed it)', async () => {
    // Prepare: a lock written a moment ago by a process that is gone.
    const gone = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid;
    const lockPath = join(dir, 'state.json.lock');
    writeFileSync(lockPath, `${gone} ${new Date().toISOString()}\n`);

    // Act
    const taken = await tryTakeLockFile(lockPath, 60_000);

    // Assess
    expect(taken).toBe(true);
  });

  it('leaves a fresh lock of a live process alone', async () => {
    const lockPath = join(dir, 'state.json.lock');
    writeFileSync(lockPath, `${process.ppid} ${new Date().toISOString()}\n`);

    expect(await tryTakeLockFile(lockPath, 60_000)).toBe(false);
  });

  it('leaves alone a lock just created and not yet written', async () => {
    const lockPath = join(dir, 'state.json.lock');
    writeFileSync(lockPath, '');

    expect(await tryTakeLockFile(lockPath, 60_000)).toBe(false);
  });
});
