// Tests are compiled by tsc first (npm test builds) and jest runs the emitted ESM:
// no transform, so what runs in tests is exactly what bin/pgward runs.
const common = { testEnvironment: 'node', transform: {} };
// Only the projects that start servers get the set-up: a run root of their own under /tmp/pgw-*.
const servers = {
  globalSetup: '<rootDir>/dist/test/harness/global-setup.js',
  globalTeardown: '<rootDir>/dist/test/harness/global-teardown.js',
};
export default {
  // Global, not per project (jest ignores testTimeout inside a project entry): hooks start and stop
  // real servers, which on a loaded 2-core machine can take more than jest's default 5 s.
  testTimeout: 60_000,
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/dist/test/unit/**/*.test.js'] },
    { ...common, ...servers, displayName: 'contract', testMatch: ['<rootDir>/dist/test/contract/**/*.test.js'], slowTestThreshold: 30 },
    { ...common, ...servers, displayName: 'integration', testMatch: ['<rootDir>/dist/test/integration/**/*.test.js'], slowTestThreshold: 60 },
    // Injected faults (S3 errors and stalls through a proxy, kills, full disks, hostile input) on real servers.
    { ...common, ...servers, displayName: 'faults', testMatch: ['<rootDir>/dist/test/faults/**/*.test.js'], slowTestThreshold: 60 },
  ],
};
