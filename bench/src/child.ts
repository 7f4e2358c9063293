/**
 * Runs a bench body in a child process so its peak RSS is its own, not the
 * harness's: the child prints one JSON line whose `peak_rss_mib` comes from
 * process.resourceUsage().maxRSS at its end. The child runs bundled by
 * esbuild, as serverless-esbuild bundles a Lambda: run through tsx, the same
 * code measured ~87 MiB more before doing anything (the loader and its
 * transpiled sources), which no deployed function carries.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const BUNDLES = fileURLToPath(new URL('../scratch/bundles/', import.meta.url));
const bundled = new Map<string, Promise<string>>();

/** The module bundled like a Lambda (ESM, node24, the native DuckDB left out), once per harness run. */
function bundle(moduleUrl: string): Promise<string> {
  let done = bundled.get(moduleUrl);
  if (done === undefined) {
    const entry = fileURLToPath(moduleUrl);
    const outfile = join(BUNDLES, basename(entry).replace(/\.ts$/, '.mjs'));
    mkdirSync(BUNDLES, { recursive: true });
    done = build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'esm',
      mainFields: ['module', 'main'],
      external: ['@duckdb/node-api'],
      banner: {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      },
      logLevel: 'error',
    }).then(() => outfile);
    bundled.set(moduleUrl, done);
  }
  return done;
}

export type Figures = Record<string, string | number | boolean>;

/** The nearest-rank `p`th percentile of `values` (unsorted; NaN when empty). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMib(): number {
  // maxRSS is in kilobytes.
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

/** Runs the bundled `<module> ...args` and returns the last JSON line it printed. */
export async function runChild(moduleUrl: string, args: readonly string[]): Promise<Figures> {
  const script = await bundle(moduleUrl);
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => (out += text));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const last = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !last.startsWith('{'))
    throw new Error(`bench child ${script} ${args.join(' ')} exited with ${code}: ${out.slice(-500)}`);
  return JSON.parse(last) as Figures;
}

/** A long-lived bench child that takes one JSON line per job on stdin and answers one JSON line each: a warm Lambda container. */
export interface WarmWorker {
  run(job: string): Promise<Figures>;
  /** Ends the worker; resolves with its final line (its peak RSS over every job). */
  close(): Promise<Figures>;
}

/** Starts the bundled `<module> ...args` as a warm worker and waits until it says it is ready. */
export async function startWarmWorker(moduleUrl: string, args: readonly string[]): Promise<WarmWorker> {
  const script = await bundle(moduleUrl);
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting: ((line: string) => void)[] = [];
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    buffered += text;
    for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
      const line = buffered.slice(0, at);
      buffered = buffered.slice(at + 1);
      if (line.startsWith('{')) waiting.shift()?.(line);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const nextLine = () =>
    Promise.race([
      new Promise<string>((resolve) => waiting.push(resolve)),
      exited.then((code) => {
        throw new Error(`warm worker ${script} exited with ${code}`);
      }),
    ]);
  await nextLine();
  return {
    async run(job) {
      const answer = nextLine();
      child.stdin.write(`${job}\n`);
      const figures = JSON.parse(await answer) as Figures;
      if (figures.error !== undefined) throw new Error(`warm worker ${script} failed a job: ${String(figures.error)}`);
      return figures;
    },
    async close() {
      const last = nextLine();
      child.stdin.end();
      return JSON.parse(await last) as Figures;
    },
  };
}

/** The worker side: announces readiness, runs `job` per stdin line, and prints its peak RSS when stdin ends. */
export async function serveWarmWorker(job: (line: string) => Promise<Figures>): Promise<void> {
  console.log(JSON.stringify({ ready: true }));
  let buffered = '';
  process.stdin.setEncoding('utf8');
  for await (const text of process.stdin) {
    buffered += text as string;
    for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
      const line = buffered.slice(0, at);
      buffered = buffered.slice(at + 1);
      try {
        console.log(JSON.stringify(await job(line)));
      } catch (error) {
        console.log(
          JSON.stringify({ error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
        );
      }
    }
  }
  console.log(JSON.stringify({ peak_rss_mib: peakRssMib() }));
}
