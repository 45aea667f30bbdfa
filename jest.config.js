// Tests are compiled by tsc first (npm test builds) and jest runs the emitted ESM:
// no transform, so what runs in tests is exactly what bin/pgward runs.
const common = { testEnvironment: 'node', transform: {} };
export default {
  globalSetup: '<rootDir>/dist/test/harness/global-setup.js',
  globalTeardown: '<rootDir>/dist/test/harness/global-teardown.js',
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/dist/test/unit/**/*.test.js'] },
    { ...common, displayName: 'contract', testMatch: ['<rootDir>/dist/test/contract/**/*.test.js'], slowTestThreshold: 30 },
    // Hooks start and stop real servers; under a loaded 2-core machine that can take more than 5 s.
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/dist/test/integration/**/*.test.js'], slowTestThreshold: 60, testTimeout: 60_000 },
  ],
};
