// The layers of Pulse Lake, checked on every `npm test` through `npm run check:boundaries` (docs/architecture.md says them in words).
//
//   services/*/src/functions   composition: real clients + env, once per container
//   services/*/src/handlers    the Lambda edge of one function: parse, call one use case, map the result
//   shared/src/edge            middlewares, responses, event parsing: knows HTTP and Lambda, nothing of storage
//   shared/src/<domain>        the core: contracts, formats, normalize, privacy, lake, catalog, query, ...
//   shared/src/ports.ts        types only
//   shared/src/adapters/aws    the ports on AWS SDK v3 (the only importer of @aws-sdk/*)
//   shared/src/adapters/local  the ports on the embedded stand-ins (storage only)
//   local/src/runtime          the embedded runtime: wiring from serverless.yml, event-source emulation
//   local/src/{cli,demo}, bench   users of the above, never used by it
//
const core = '^shared/src/(?!edge/|adapters/)';

module.exports = {
  forbidden: [
    {
      name: 'aws-sdk-only-in-aws-adapters',
      comment: 'Only shared/src/adapters/aws talks to AWS; everything else takes ports.',
      severity: 'error',
      from: { path: '^(shared|services/[^/]+|local|bench)/src/', pathNot: '^shared/src/adapters/aws/' },
      to: { path: '(^|/)node_modules/@aws-sdk/' },
    },
    {
      name: 'core-knows-no-lambda',
      comment: 'The core knows no HTTP edge and no Lambda: no middy, no aws-lambda types, no edge, no adapters.',
      severity: 'error',
      from: { path: core },
      to: { path: ['(^|/)node_modules/(@middy/|@types/aws-lambda/|aws-lambda/)', '^shared/src/(edge|adapters)/'] },
    },
    {
      name: 'edge-knows-no-storage',
      comment: 'Middlewares and event parsing reach storage only through use cases and ports.',
      severity: 'error',
      from: { path: '^shared/src/edge/' },
      // The one exception: DynamoDB's AttributeValue codec, a pure function over stream records that touches no
      // storage; it sits in adapters/aws because it is AWS's own code (@aws-sdk/util-dynamodb).
      to: { path: '^shared/src/adapters/', pathNot: '^shared/src/adapters/aws/dynamodb-json\\.ts$' },
    },
    {
      name: 'ports-are-types-only',
      severity: 'error',
      from: { path: '^shared/src/ports\\.ts$' },
      to: { path: '^shared/src/' },
    },
    {
      name: 'shared-uses-no-app',
      comment: 'shared/ is used by services, local and bench, never the other way round.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(services|local|bench)/' },
    },
    {
      name: 'no-service-to-service',
      comment: 'Services share code only through shared/.',
      severity: 'error',
      from: { path: '^services/([^/]+)/' },
      to: { path: '^services/', pathNot: '^services/$1/' },
    },
    {
      name: 'handlers-compose-nothing',
      comment: 'Handlers take their ports as a parameter; only functions/ (and the local runtime) pick adapters.',
      severity: 'error',
      from: { path: '^services/[^/]+/src/handlers/' },
      to: { path: '^shared/src/adapters/' },
    },
    {
      name: 'local-uses-adapter-entry-points',
      comment: 'local/ and bench/ reach the adapters through their index only, not their internals.',
      severity: 'error',
      from: { path: '^(local|bench)/' },
      to: { path: '^shared/src/adapters/(aws|local)/', pathNot: '^shared/src/adapters/(aws|local)/index\\.ts$' },
    },
    {
      name: 'runtime-uses-no-users',
      comment: 'The runtime is used by the CLI, the demo and the benches, never the other way round.',
      severity: 'error',
      from: { path: '^local/src/runtime/' },
      to: { path: '^(local/src/(cli|demo)|bench)/' },
    },
    {
      name: 'imports-resolve',
      comment:
        'Every import resolves: an adapter internal hidden by shared/package.json exports is an error, not a gap.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-file-cycles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    combinedDependencies: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
      mainFields: ['module', 'main', 'types'],
    },
  },
};
