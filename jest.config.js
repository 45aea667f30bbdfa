// Tests are compiled by tsc first (npm test builds) and jest runs the emitted ESM:
// no transform, so what runs in tests is exactly what bin/pgward runs.
const common = { testEnvironment: 'node', transform: {} };
export default {
  // Global, not per project (jest ignores testTimeout inside a project entry): hooks start and stop
  // real servers, which on a loaded 2-core machine can take more than jest's default 5 s.
  testTimeout: 60_000,
  globalSetup: '<rootDir>/dist/test/harness/global-setup.js',
  globalTeardown: '<rootDir>/dist/test/harness/global-teardown.js',
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/dist/test/unit/**/*.test.js'] },
    { ...common, displayName: 'contract', testMatch: ['<rootDir>/dist/test/contract/**/*.test.js'], slowTestThreshold: 30 },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/dist/test/integration/**/*.test.js'], slowTestThreshold: 60 },
  ],
};
