#!/usr/bin/env node
/**
 * Packages every service offline: `serverless package --stage <stage>` in each
 * service directory, two at a time, writing .serverless/ (CloudFormation + zips).
 * No AWS credentials are needed: nothing in the templates is resolved against an account.
 *
 *   node scripts/package-services.mjs [--stage dev] [service ...]
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SERVICES = ['ingest-files', 'ingest-api', 'stream', 'etl-trigger', 'query-api'];
const CONCURRENCY = 2;
// serverless v3 can hang after a failed build instead of exiting; a package never legitimately takes this long.
const TIMEOUT_MS = 5 * 60 * 1000;

/**
 * serverless-esbuild leaves its bundles in `<tmp>/<service>-<pid>-<time>-<random>/` after a
 * package run; removed here, so repeated test and CI runs do not fill the temp folder.
 */
function removeBuildLeftovers(service, pid) {
  const prefix = `${service}-${pid}-`;
  for (const name of readdirSync(tmpdir()))
    if (name.startsWith(prefix)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
}

function parseArgs(argv) {
  let stage = process.env.STAGE ?? 'dev';
  const services = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--stage') stage = argv[++i] ?? stage;
    else if (arg.startsWith('--stage=')) stage = arg.slice('--stage='.length);
    else services.push(arg);
  }
  for (const name of services)
    if (!SERVICES.includes(name)) throw new Error(`unknown service ${name}; known: ${SERVICES.join(', ')}`);
  if (!/^[a-z][a-z0-9]{0,15}$/.test(stage))
    throw new Error(`stage ${stage} must be lower-case letters and digits (it names buckets and Glue databases)`);
  return { stage, services: services.length > 0 ? services : SERVICES };
}

function packageService(name, stage) {
  const cwd = join(root, 'services', name);
  const bin = join(root, 'node_modules', 'osls', 'bin', 'serverless.js');
  if (!existsSync(bin))
    throw new Error(`osls (the Serverless Framework v3 line) is not installed at ${bin}; run npm ci first`);
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const output = [];
    const child = spawn(process.execPath, [bin, 'package', '--stage', stage], {
      cwd,
      env: {
        ...process.env,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        SLS_DEPRECATION_DISABLE: '*',
        SLS_INTERACTIVE_SETUP_DISABLE: '1',
        CI: '1',
        // Packaging must not need an account; dummy credentials keep the SDK from probing instance metadata.
        AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'offline-packaging',
        AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'offline-packaging',
        AWS_REGION: process.env.AWS_REGION ?? 'ap-southeast-1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    const timer = setTimeout(() => {
      output.push(Buffer.from(`\n[package] ${name}: no exit after ${TIMEOUT_MS / 1000}s, killed\n`));
      child.kill('SIGKILL');
    }, TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      removeBuildLeftovers(`pulse-lake-${name}`, child.pid);
      clearTimeout(timer);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const text = Buffer.concat(output).toString('utf8');
      if (code === 0) {
        console.log(`[package] ${name}: ok in ${seconds}s`);
        resolvePromise();
      } else {
        console.error(`[package] ${name}: FAILED (exit ${code}) after ${seconds}s\n${text}`);
        reject(new Error(`serverless package failed for ${name}`));
      }
    });
  });
}

async function main() {
  const { stage, services } = parseArgs(process.argv.slice(2));
  console.log(`[package] stage ${stage}: ${services.join(', ')} (${CONCURRENCY} at a time)`);
  const queue = [...services];
  const failures = [];
  async function worker() {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      try {
        await packageService(name, stage);
      } catch (error) {
        failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (failures.length > 0) {
    console.error(`[package] ${failures.length} service(s) failed:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log('[package] all services packaged');
}

main().catch((error) => {
  console.error(`[package] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
