import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const worker = fileURLToPath(new URL('./fixtures/race-worker.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../../../../../node_modules/tsx/dist/loader.mjs', import.meta.url));

/** Starts `count` separate node processes, releases them together, and collects their JSON lines. */
async function race(home: string, mode: 'put' | 'key', count: number): Promise<Record<string, unknown>[]> {
  const signal = join(home, 'go');
  const processes = Array.from({ length: count }, (_, i) =>
    run(process.execPath, ['--import', tsx, worker, home, mode, `w${i}`, signal]),
  );
  // Let every process load before the start signal, so they really collide.
  await new Promise((r) => setTimeout(r, 1500));
  await writeFile(signal, '');
  const outputs = await Promise.all(processes);
  return outputs.map((o) => JSON.parse(o.stdout) as Record<string, unknown>);
}

describe('local stand-ins across processes', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'lake-xproc-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('lets exactly one process win a conditional put (ifNoneMatch "*")', async () => {
    const results = await race(home, 'put', 4);

    const winners = results.filter((r) => r.won === true);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.won === false).every((r) => r.error === 'PreconditionFailedError')).toBe(true);
    const stored = JSON.parse(
      await readFile(join(home, 's3', 'race-bucket', '_manifests', 'vitals', 'abc', 'complete.json'), 'utf8'),
    );
    expect(stored).toEqual({ by: winners[0]?.worker });
  });

  it('gives every process the same pseudonymization key when they create it at once', async () => {
    const results = await race(home, 'key', 4);

    expect(new Set(results.map((r) => r.key)).size).toBe(1);
    expect(String(results[0]?.key)).toMatch(/^[0-9a-f]{64}$/);
  });
});
