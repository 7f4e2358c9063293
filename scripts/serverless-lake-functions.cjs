'use strict';
/**
 * Serverless v3 plugin: what every Pulse Lake function gets, stated once for the five services.
 *
 * - It refuses to package a function without a role of its own (least privilege is per function:
 *   the role sits beside the function in its serverless.yml), or without its own timeout and memory.
 * - Its logs are structured JSON (Lambda's LoggingConfig; serverless v3 has no setting for it).
 * - Errors and throttles alarms go to the lake's alarm topic (`custom.alarms.topicArn`).
 * - A function that lists `nodeModules` (packages serverless-esbuild leaves out of its bundle,
 *   such as DuckDB, which is native) gets them in its own zip, under `node_modules/` at the zip
 *   root, where Node resolves the bundle's bare imports (ESM ignores NODE_PATH, so a layer under
 *   /opt would not do). See shipNodeModules.
 *
 * Loaded by relative path from each service's `plugins:`; no install step, packages offline.
 */
const {
  createReadStream,
  createWriteStream,
  existsSync,
  lstatSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
} = require('node:fs');
const { basename, dirname, join, relative, resolve, sep } = require('node:path');

const ALARMED_METRICS = [
  { metric: 'Errors', suffix: 'errors', description: 'invocations failed' },
  { metric: 'Throttles', suffix: 'throttles', description: 'invocations were throttled (concurrency limit reached)' },
];

/** Lambda's nodejs24.x runs on Amazon Linux 2023 (glibc 2.34); npm's `cpu` name of each Lambda architecture. */
const LAMBDA_OS = 'linux';
const LAMBDA_LIBC = 'glibc';
const NPM_CPU = { x86_64: 'x64', arm64: 'arm64' };
/** Lambda refuses a function whose code, unzipped, exceeds 250 MB. */
const UNZIPPED_LIMIT = 250 * 1024 * 1024;
/** One date for every entry, as serverless-esbuild does: the same inputs make the same zip, and the same code hash. */
const ZIP_DATE = new Date('1980-01-01T00:00:00Z');

/** npm's `os` / `cpu` / `libc` fields: absent means any; `!x` excludes x. */
function allows(list, value) {
  if (list === undefined) return true;
  const values = [].concat(list);
  if (values.includes(`!${value}`)) return false;
  const wanted = values.filter((v) => !v.startsWith('!'));
  return wanted.length === 0 || wanted.includes(value);
}

/** Where Node finds package `name` from `fromDir`: the nearest node_modules/<name> up the tree. */
function packageDir(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    if (basename(dir) !== 'node_modules' && existsSync(join(dir, 'node_modules', name, 'package.json')))
      return join(dir, 'node_modules', name);
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The packages `names` need at run time on Lambda's `cpu`: their dependencies, and those of their
 * optionalDependencies (per-platform binaries) that are installed and built for linux, glibc and `cpu`.
 * Returns the packages, or the reason they cannot run there (e.g. no binary for that cpu installed).
 */
function packagesFor(names, fromDir, cpu) {
  const found = new Map();
  const visit = (name, from, optional, requiredBy) => {
    const dir = packageDir(name, from);
    if (dir === undefined) {
      if (optional) return undefined;
      throw new Error(`${name}${requiredBy ? ` (needed by ${requiredBy})` : ''} is not in node_modules; run npm ci`);
    }
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const runs = allows(pkg.os, LAMBDA_OS) && allows(pkg.cpu, cpu) && allows(pkg.libc, LAMBDA_LIBC);
    if (!runs) {
      if (optional) return undefined;
      throw new Error(
        `${name} is built for ${[].concat(pkg.os ?? [], pkg.cpu ?? [], pkg.libc ?? []).join('/')}, not linux/${cpu}/glibc`,
      );
    }
    const seen = found.get(name);
    if (seen !== undefined) {
      if (seen.dir !== dir)
        throw new Error(`two copies of ${name} (${seen.dir}, ${dir}) would share node_modules/${name}`);
      return seen;
    }
    const entry = { name, dir, version: pkg.version };
    found.set(name, entry);
    const optionals = Object.keys(pkg.optionalDependencies ?? {});
    for (const dep of Object.keys(pkg.dependencies ?? {})) if (!optionals.includes(dep)) visit(dep, dir, false, name);
    // A package with optional dependencies (the bindings' per-platform binaries) is useless without one of them.
    if (optionals.length > 0 && optionals.map((dep) => visit(dep, dir, true, name)).every((e) => e === undefined)) {
      throw new Error(
        `none of ${name}'s optional dependencies (${optionals.join(', ')}) is installed for linux/${cpu}/glibc`,
      );
    }
    return entry;
  };
  try {
    for (const name of names) visit(name, fromDir, false, undefined);
    return { packages: [...found.values()] };
  } catch (error) {
    return { reason: error.message };
  }
}

/** Every file of a package, as [zip path, file path], without its nested node_modules (packagesFor follows those). */
function packageFiles({ name, dir }) {
  const files = [];
  const walk = (path) => {
    for (const entry of readdirSync(path).sort()) {
      const full = join(path, entry);
      const stat = lstatSync(full);
      if (stat.isDirectory()) {
        if (entry !== 'node_modules') walk(full);
      } else if (stat.isFile()) {
        files.push([`node_modules/${name}/${relative(dir, full).split(sep).join('/')}`, full, stat]);
      } else {
        throw new Error(`${full} is neither a file nor a folder; it cannot be shipped in a zip as it is`);
      }
    }
  };
  walk(dir);
  return files;
}

/** Lambda reads the code as another user: every file world-readable, executables kept executable. */
const lambdaMode = (mode) => ((mode ?? 0o644) & 0o111 ? 0o755 : 0o644);

/**
 * Rewrites `artifact` with the files already in it plus `extra` ([zip path, file path, stat]),
 * in name order with one date and normalized modes. Returns the unzipped size in bytes.
 */
async function rewriteZip(artifact, extra) {
  // Both are what serverless and serverless-esbuild already zip with; archiver compresses with Node's zlib.
  const JSZip = require('jszip');
  const archiver = require('archiver');
  const existing = await JSZip.loadAsync(readFileSync(artifact));
  const entries = [];
  for (const file of Object.values(existing.files)) {
    if (file.dir) continue;
    const data = await file.async('nodebuffer');
    entries.push({
      name: file.name,
      size: data.length,
      mode: file.unixPermissions,
      add: (zip, options) => zip.append(data, options),
    });
  }
  for (const [name, path, stat] of extra) {
    if (existing.files[name] !== undefined)
      throw new Error(`${name} is already in ${artifact}: the bundle must not carry what nodeModules ships`);
    entries.push({
      name,
      size: stat.size,
      mode: stat.mode,
      add: (zip, options) => zip.append(createReadStream(path), options),
    });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const unzipped = entries.reduce((sum, e) => sum + e.size, 0);
  if (unzipped > UNZIPPED_LIMIT)
    throw new Error(
      `${basename(artifact)} would be ${(unzipped / 2 ** 20).toFixed(0)} MiB unzipped; Lambda takes at most 250 MB`,
    );
  const partial = `${artifact}.partial`;
  rmSync(partial, { force: true });
  await new Promise((done, fail) => {
    const zip = archiver('zip', { zlib: { level: 6 } });
    const out = createWriteStream(partial);
    out.on('close', done);
    out.on('error', fail);
    zip.on('error', fail);
    zip.pipe(out);
    for (const entry of entries) entry.add(zip, { name: entry.name, date: ZIP_DATE, mode: lambdaMode(entry.mode) });
    zip.finalize();
  });
  renameSync(partial, artifact);
  return unzipped;
}

class LakeFunctions {
  constructor(serverless, options, utils) {
    this.serverless = serverless;
    this.log = utils?.log;
    serverless.configSchemaHandler.defineFunctionProperties('aws', {
      properties: { nodeModules: { type: 'array', items: { type: 'string' }, minItems: 1 } },
    });
    this.hooks = {
      // After serverless-esbuild (listed before this plugin) has zipped and moved each function's artifact,
      // before serverless compiles the functions (their architecture, their code hash).
      'after:package:createDeploymentArtifacts': () => this.shipNodeModules(),
      'after:deploy:function:packageFunction': () => this.shipNodeModules(options?.function),
      'after:package:compileFunctions': () => this.compile(),
    };
  }

  /**
   * Adds each function's `nodeModules` (with what they need at run time) from the repository's
   * node_modules to its own zip: offline, no npm install, the versions package-lock.json pinned.
   * A native binding runs on one architecture: the function runs on the architecture whose Linux
   * binding is installed (x86_64 for DuckDB, since npm ci on a linux-x64 machine installs only that),
   * whatever the provider's default; a function that states another architecture is refused.
   */
  async shipNodeModules(only) {
    const service = this.serverless.service;
    const serviceDir = this.serverless.serviceDir;
    const ServerlessError = this.serverless.classes.Error;
    for (const name of service.getAllFunctions()) {
      const fn = service.getFunction(name);
      if (fn.nodeModules === undefined || (only !== undefined && only !== name)) continue;
      const artifact = fn.package?.artifact;
      if (!service.package?.individually || artifact === undefined) {
        throw new ServerlessError(
          `function ${name} lists nodeModules but shares the service's zip; set package.individually: true so only it ships them`,
        );
      }
      const architectures = fn.architecture !== undefined ? [fn.architecture] : Object.keys(NPM_CPU);
      const tried = architectures.map((architecture) => ({
        architecture,
        ...packagesFor(fn.nodeModules, serviceDir, NPM_CPU[architecture]),
      }));
      const runnable = tried.filter((t) => t.packages !== undefined);
      if (runnable.length === 0) {
        throw new ServerlessError(
          `function ${name} cannot ship ${fn.nodeModules.join(', ')}: ${tried.map((t) => `${t.architecture}: ${t.reason}`).join('; ')}`,
        );
      }
      // The function's (or provider's) architecture when what it ships runs there (pure JavaScript runs anywhere);
      // otherwise the one architecture whose native binding is installed.
      const preferred = fn.architecture ?? service.provider.architecture ?? 'x86_64';
      const chosen = runnable.find((t) => t.architecture === preferred) ?? runnable[0];
      fn.architecture = chosen.architecture;
      let unzipped;
      try {
        unzipped = await rewriteZip(resolve(serviceDir, artifact), chosen.packages.flatMap(packageFiles));
      } catch (error) {
        throw new ServerlessError(`function ${name}: ${error.message}`);
      }
      this.log?.info(
        `${name}: ${chosen.architecture}, ships ${chosen.packages.map((p) => `${p.name}@${p.version}`).join(', ')}; ${(unzipped / 2 ** 20).toFixed(1)} MiB unzipped`,
      );
    }
  }

  compile() {
    const service = this.serverless.service;
    const provider = this.serverless.getProvider('aws');
    const resources = service.provider.compiledCloudFormationTemplate.Resources;
    const topicArn = service.custom?.alarms?.topicArn;
    if (topicArn === undefined)
      throw new this.serverless.classes.Error(
        "custom.alarms.topicArn is not set: the functions' alarms would notify nobody",
      );
    for (const name of service.getAllFunctions()) {
      const fn = service.getFunction(name);
      const missing = ['role', 'timeout', 'memorySize'].filter((key) => fn[key] === undefined);
      if (missing.length > 0)
        throw new this.serverless.classes.Error(
          `function ${name} sets no ${missing.join(', ')} of its own; every lake function declares its role, timeout and memory beside it`,
        );
      const logicalId = provider.naming.getLambdaLogicalId(name);
      const lambda = resources[logicalId];
      if (lambda === undefined) continue;
      lambda.Properties.LoggingConfig = { LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN' };
      for (const { metric, suffix, description } of ALARMED_METRICS) {
        resources[`${logicalId}${metric}Alarm`] = {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: {
            AlarmName: `${fn.name}-${suffix}`,
            AlarmDescription: `${fn.name}: ${description}. Its JSON logs in /aws/lambda/${fn.name} say why.`,
            Namespace: 'AWS/Lambda',
            MetricName: metric,
            Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId } }],
            Statistic: 'Sum',
            Period: 300,
            EvaluationPeriods: 1,
            Threshold: 0,
            ComparisonOperator: 'GreaterThanThreshold',
            TreatMissingData: 'notBreaching',
            AlarmActions: [topicArn],
          },
        };
      }
    }
  }
}

module.exports = LakeFunctions;
