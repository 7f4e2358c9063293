// Two projects, both run in CI: fast unit tests of the pure parts, and integration
// tests that drive real files, real DuckDB and the local runtime end to end.
const transform = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
};
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform,
  testEnvironment: 'node',
  // ESM-only packages (middy) are loaded natively; nothing in node_modules is transformed.
  transformIgnorePatterns: ['/node_modules/'],
};

export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      // Contract suites run against the AWS adapters over SDK mocks (fast) and the local ones on real files.
      testMatch: ['<rootDir>/**/tests/unit/**/*.test.ts', '<rootDir>/**/tests/contract/**/*.aws.test.ts'],
      testPathIgnorePatterns: ['/node_modules/'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/tests/integration/**/*.test.ts', '<rootDir>/**/tests/contract/**/*.local.test.ts'],
      testPathIgnorePatterns: ['/node_modules/'],
    },
  ],
  // testTimeout is a global option: inside a project it is silently ignored (tests ran with 5 s).
  // Integration tests start lakes and DuckDB; on a loaded 2-core CI machine they need more.
  testTimeout: 120000,
};
