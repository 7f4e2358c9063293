/**
 * The services as `npm run package` writes them (services/<name>/.serverless/): one packaging for every
 * test file that reads them. A service is packaged again only when its inputs changed after its template
 * was written; a lock keeps two test files running side by side from packaging the same service at once.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SERVICES = ['ingest-files', 'ingest-api', 'stream', 'etl-trigger', 'query-api'] as const;
export const STAGE = 'dev';

export const packageDir = (service: string) => join(root, 'services', service, '.serverless');
export const templatePath = (service: string) => join(packageDir(service), 'cloudformation-template-update-stack.json');

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce(
    (newest, entry) =>
      entry === 'node_modules' || entry.startsWith('.') ? newest : Math.max(newest, newestMtime(join(path, entry))),
    stat.mtimeMs,
  );
}

/**
 * A template is stale when its service's config or code, shared/src, the packaging plugin or the
 * lockfile (what nodeModules ships) changed after it was written.
 */
function isStale(service: string): boolean {
  const path = templatePath(service);
  if (!existsSync(path)) return true;
  const written = statSync(path).mtimeMs;
  const dir = join(root, 'services', service);
  const inputs = [
    join(dir, 'serverless.yml'),
    join(dir, 'src'),
    join(root, 'shared', 'src'),
    join(root, 'scripts', 'serverless-lake-functions.cjs'),
    join(root, 'package-lock.json'),
  ];
  return inputs.some((input) => existsSync(input) && newestMtime(input) > written);
}

const LOCK = join(root, 'node_modules', '.cache', 'pulse-lake-packaging.lock');

function holderAlive(): boolean {
  try {
    process.kill(Number(readFileSync(join(LOCK, 'pid'), 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

/** Packages the stale services (all of them on a clean clone), at most one test file at a time. */
export async function ensurePackaged(): Promise<void> {
  mkdirSync(dirname(LOCK), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A holder that died (a killed test run) leaves its lock behind; the pid file may not be written yet by a live one.
      if (existsSync(join(LOCK, 'pid')) && !holderAlive()) rmSync(LOCK, { recursive: true, force: true });
      else await sleep(500);
    }
  }
  try {
    writeFileSync(join(LOCK, 'pid'), String(process.pid));
    const stale = SERVICES.filter(isStale);
    if (stale.length > 0) {
      execFileSync(process.execPath, [join(root, 'scripts', 'package-services.mjs'), '--stage', STAGE, ...stale], {
        cwd: root,
        stdio: 'inherit',
      });
    }
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
