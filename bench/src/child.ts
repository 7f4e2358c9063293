/**
 * Runs a bench body in a child process so its peak RSS is its own, not the
 * harness's: the child prints one JSON line whose `peak_rss_mib` comes from
 * process.resourceUsage().maxRSS at its end.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type Figures = Record<string, string | number | boolean>;

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMib(): number {
  // maxRSS is in kilobytes.
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

/** Runs `node --import tsx <module> ...args` and returns the last JSON line it printed. */
export async function runChild(moduleUrl: string, args: readonly string[]): Promise<Figures> {
  const script = fileURLToPath(moduleUrl);
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => (out += text));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const last = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !last.startsWith('{')) throw new Error(`bench child ${script} ${args.join(' ')} exited with ${code}: ${out.slice(-500)}`);
  return JSON.parse(last) as Figures;
}
