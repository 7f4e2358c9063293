/**
 * Which processes are running a lake: one file per running `lake up` or
 * `lake ingest` under `$LAKE_HOME/runs/<pid>`. A file whose process is gone
 * means a run died (killed, crashed, power cut) and may have left queue
 * messages in flight; when no run is alive, the next one releases them at
 * once instead of waiting out their visibility timeout (six minutes for the
 * normalize queue), so a restarted `lake up` resumes straight away.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RunRegistration {
  /** Earlier runs left registered by processes that no longer exist. */
  deadRuns: number;
  /** Other runs still alive (their in-flight messages must not be touched). */
  liveRuns: number;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Registers this process as a run of the lake at `home` and reports the others. */
export function registerRun(home: string): RunRegistration {
  const dir = join(home, 'runs');
  mkdirSync(dir, { recursive: true });
  let deadRuns = 0;
  let liveRuns = 0;
  for (const name of readdirSync(dir)) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (alive(pid)) liveRuns++;
    else {
      deadRuns++;
      rmSync(join(dir, name), { force: true });
    }
  }
  const mine = join(dir, String(process.pid));
  writeFileSync(mine, `${new Date().toISOString()}\n`);
  return { deadRuns, liveRuns, release: () => rmSync(mine, { force: true }) };
}
