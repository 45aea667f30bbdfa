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
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/dist/test/integration/**/*.test.js'], slowTestThreshold: 60 },
  ],
};
