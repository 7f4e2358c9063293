/**
 * Does each packaged function start? For every function of every service: unzip the artifact its
 * CloudFormation names into an empty folder, as Lambda does, and import its handler module with plain
 * `node` in a child process that has only the environment the template gives the function (plus what
 * Lambda itself sets). Loading composes AWS SDK clients but must not call AWS. A function that ships
 * DuckDB must open it from its own artifact and write Parquet; a function on arm64 ships no native code,
 * and native code is built for its function's architecture and for the libraries of Lambda's nodejs24.x.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import JSZip from 'jszip';
import { readServiceFile } from '../../local/src/runtime/service-files';
import { ensurePackaged, packageDir, root, SERVICES, STAGE, templatePath } from './packaged-services';

const run = promisify(execFile);

/** Lambda's limit on a function's code, unzipped (the zip itself goes through S3, so only this one applies). */
const UNZIPPED_LIMIT = 250 * 1024 * 1024;
/** nodejs24.x runs on Amazon Linux 2023: glibc 2.34, and GCC 11's libstdc++ (symbol versions up to GLIBCXX_3.4.29). */
const LAMBDA_GLIBC = [2, 34];
const LAMBDA_GLIBCXX = [3, 4, 29];
/** ELF e_machine of each Lambda architecture. */
const ELF_MACHINE: Record<string, number> = { x86_64: 62, arm64: 183 };

interface LambdaFunction {
  service: string;
  id: string;
  name: string;
  handler: string;
  architecture: string;
  artifact: string;
  environment: Record<string, string>;
}

function packagedFunctions(service: string): LambdaFunction[] {
  const template = JSON.parse(readFileSync(templatePath(service), 'utf8')) as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .map(([id, { Properties: p }]) => {
      const variables = (p['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      return {
        service,
        id,
        name: String(p['FunctionName']),
        handler: String(p['Handler']),
        architecture: String((p['Architectures'] as string[] | undefined)?.[0] ?? 'x86_64'),
        // The S3 key deploy uploads the artifact to ends in its file name under .serverless/.
        artifact: join(packageDir(service), basename(String((p['Code'] as { S3Key?: unknown }).S3Key))),
        // A value CloudFormation resolves at deploy time (Ref, GetAtt, ImportValue) gets a stand-in naming it.
        environment: Object.fromEntries(
          Object.entries(variables).map(([k, v]) => [
            k,
            typeof v === 'string' ? v : `unresolved-offline:${JSON.stringify(v)}`,
          ]),
        ),
      };
    });
}

/** What the service file lists in the function's `nodeModules` (serverless names the function's resource after its key). */
function listedNodeModules(fn: LambdaFunction): string[] {
  const config = readServiceFile(join(root, 'services', fn.service, 'serverless.yml'), {
    stage: STAGE,
    region: 'ap-southeast-1',
  });
  const functions = config['functions'] as Record<string, { nodeModules?: unknown }>;
  const logicalId = (key: string) =>
    `${key.charAt(0).toUpperCase()}${key.slice(1).replace(/-/g, 'Dash').replace(/_/g, 'Underscore')}LambdaFunction`;
  const entry = Object.entries(functions).find(([key]) => logicalId(key) === fn.id)?.[1];
  return Array.isArray(entry?.nodeModules) ? entry.nodeModules.map(String) : [];
}

/** Unzips as Lambda does; returns the unzipped size and the files Lambda's runtime user could not read. */
async function unzip(artifact: string, into: string): Promise<{ bytes: number; unreadable: string[] }> {
  const zip = await JSZip.loadAsync(readFileSync(artifact));
  let bytes = 0;
  const unreadable: string[] = [];
  for (const file of Object.values(zip.files)) {
    const path = join(into, file.name);
    if (file.dir) {
      mkdirSync(path, { recursive: true });
      continue;
    }
    const data = await file.async('nodebuffer');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
    bytes += data.length;
    const mode = Number(file.unixPermissions ?? 0o644);
    if ((mode & 0o004) === 0) unreadable.push(file.name);
  }
  return { bytes, unreadable };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

const isNative = (path: string) => /\.node$|\.so(\.\d+)*$/.test(path);

/** The newest symbol versions a shared object asks of `library` (e.g. GLIBC_2.25), as numbers. */
function newestVersion(binary: Buffer, library: 'GLIBC' | 'GLIBCXX'): number[] {
  const versions = [...binary.toString('latin1').matchAll(new RegExp(`\\b${library}_(\\d+(?:\\.\\d+)+)\\b`, 'g'))].map(
    (m) => (m[1] ?? '').split('.').map(Number),
  );
  return versions.reduce<number[]>((newest, v) => (compareVersions(v, newest) > 0 ? v : newest), [0]);
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1)
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

/**
 * Run in the child, inside the unzipped artifact: import the handler module as Lambda's runtime does and,
 * for a function that ships DuckDB, open it as the bundle would resolve it and write and read Parquet.
 */
const CHILD = `
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
const [file, exportName, duckdb, scratch] = process.argv.slice(1);
const module = await import(pathToFileURL(file).href);
const result = { handler: typeof module[exportName] };
if (duckdb === 'yes') {
  const resolved = createRequire(file).resolve('@duckdb/node-api');
  const { DuckDBInstance } = await import(pathToFileURL(resolved).href);
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  const answer = (await connection.runAndReadAll('SELECT 42 AS answer')).getRowObjects()[0].answer;
  await connection.run("COPY (SELECT 42 AS answer) TO '" + scratch + "/answer.parquet' (FORMAT PARQUET)");
  const parquet = (await connection.runAndReadAll("SELECT answer FROM read_parquet('" + scratch + "/answer.parquet')")).getRowObjects()[0].answer;
  result.duckdb = { resolved, answer: Number(answer), parquet: Number(parquet) };
}
process.stdout.write(JSON.stringify(result));
`;

/** Stands in for every AWS endpoint while handlers load: any request reaching it is a call to AWS at load time. */
let awsStandIn: Server;
const awsCalls: string[] = [];
/** Every function, its artifact unzipped into a folder of its own under the temp folder (nothing above holds a node_modules). */
const unpacked = new Map<string, { fn: LambdaFunction; dir: string; bytes: number; unreadable: string[] }[]>();

beforeAll(async () => {
  await ensurePackaged();
  for (const service of SERVICES) {
    const functions = [];
    for (const fn of packagedFunctions(service)) {
      const dir = mkdtempSync(join(tmpdir(), `lake-${fn.id}-`));
      functions.push({ fn, dir, ...(await unzip(fn.artifact, dir)) });
    }
    unpacked.set(service, functions);
  }
  awsStandIn = createServer((request, response) => {
    awsCalls.push(
      `${request.method} ${request.headers.host}${request.url} ${String(request.headers['x-amz-target'] ?? '')}`,
    );
    response.writeHead(400).end();
  });
  await new Promise<void>((listening) => awsStandIn.listen(0, '127.0.0.1', listening));
}, 600_000);

afterAll(async () => {
  for (const { dir } of [...unpacked.values()].flat()) rmSync(dir, { recursive: true, force: true });
  await new Promise((closed) => awsStandIn?.close(closed));
});

function functionsOf(service: string) {
  const functions = unpacked.get(service) ?? [];
  expect(functions.length).toBeGreaterThan(0);
  return functions;
}

describe('packaged functions', () => {
  it.each(SERVICES)(
    "loads the handler of every function of %s from its unzipped artifact, with the template's environment, without calling AWS",
    async (service) => {
      for (const { fn, dir, bytes, unreadable } of functionsOf(service)) {
        // Prepare
        const scratch = mkdtempSync(join(tmpdir(), `lake-${fn.id}-scratch-`));
        const dot = fn.handler.lastIndexOf('.');
        const [modulePath, exportName] = [fn.handler.slice(0, dot), fn.handler.slice(dot + 1)];
        // Lambda's Node.js runtime tries these extensions in this order.
        const file =
          ['.js', '.mjs', '.cjs'].map((ext) => join(dir, `${modulePath}${ext}`)).find(existsSync) ??
          join(dir, `${modulePath}.js`);
        const shipsDuckdb = existsSync(join(dir, 'node_modules', '@duckdb', 'node-api', 'package.json'));
        awsCalls.length = 0;
        try {
          // Act
          const { stdout } = await run(
            process.execPath,
            ['--input-type=module', '-e', CHILD, file, exportName, shipsDuckdb ? 'yes' : 'no', scratch],
            {
              cwd: dir,
              timeout: 60_000,
              env: {
                ...fn.environment,
                AWS_REGION: 'ap-southeast-1',
                // Lambda always provides credentials; these and the endpoint keep any call on this machine, where it is counted.
                AWS_ACCESS_KEY_ID: 'offline-load-check',
                AWS_SECRET_ACCESS_KEY: 'offline-load-check',
                AWS_ENDPOINT_URL: `http://127.0.0.1:${(awsStandIn.address() as AddressInfo).port}`,
                LAMBDA_TASK_ROOT: dir,
              },
            },
          ).catch((error: Error & { stderr?: string }) => {
            throw new Error(
              `${service}/${fn.id} (${fn.handler}) does not load from ${basename(fn.artifact)}:\n${error.stderr ?? error.message}`,
            );
          });

          // Assess
          const loaded = JSON.parse(stdout) as {
            handler: string;
            duckdb?: { resolved: string; answer: number; parquet: number };
          };
          expect({ function: fn.id, handler: loaded.handler, awsCalls }).toEqual({
            function: fn.id,
            handler: 'function',
            awsCalls: [],
          });
          expect({ function: fn.id, underLambdasLimit: bytes < UNZIPPED_LIMIT, unreadable }).toEqual({
            function: fn.id,
            underLambdasLimit: true,
            unreadable: [],
          });
          expect({ function: fn.id, shipsDuckdb }).toEqual({
            function: fn.id,
            shipsDuckdb: listedNodeModules(fn).includes('@duckdb/node-api'),
          });
          if (shipsDuckdb) {
            expect(loaded.duckdb).toEqual({
              resolved: join(realpathSync(dir), 'node_modules', '@duckdb', 'node-api', 'lib', 'index.js'),
              answer: 42,
              parquet: 42,
            });
          }
        } finally {
          rmSync(scratch, { recursive: true, force: true });
        }
      }
    },
    300_000,
  );

  it.each(SERVICES)(
    "ships native code in %s only to x86_64 functions, built for x86-64 and for the glibc and libstdc++ of Lambda's nodejs24.x",
    (service) => {
      for (const { fn, dir } of functionsOf(service)) {
        const native = filesUnder(dir).filter(isNative);
        // arm64 is the lake's default (cheaper); only a native binding built for x86-64 moves a function off it.
        expect({ function: fn.id, architecture: fn.architecture, shipsNative: native.length > 0 }).toEqual({
          function: fn.id,
          architecture: fn.architecture,
          shipsNative: fn.architecture === 'x86_64',
        });
        for (const path of native) {
          const binary = readFileSync(path);
          const file = path.slice(dir.length + 1);
          expect({ file, elf: binary.subarray(0, 4).toString('latin1'), machine: binary.readUInt16LE(18) }).toEqual({
            file,
            elf: '\x7fELF',
            machine: ELF_MACHINE[fn.architecture],
          });
          expect({
            file,
            glibcNewerThanLambdas: compareVersions(newestVersion(binary, 'GLIBC'), LAMBDA_GLIBC) > 0,
          }).toEqual({ file, glibcNewerThanLambdas: false });
          expect({
            file,
            libstdcxxNewerThanLambdas: compareVersions(newestVersion(binary, 'GLIBCXX'), LAMBDA_GLIBCXX) > 0,
          }).toEqual({ file, libstdcxxNewerThanLambdas: false });
        }
      }
    },
  );
});
