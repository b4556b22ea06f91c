/** Unit specs live beside the code; end-to-end suites (real MySQL + Redis) live in test/. */
const common = {
  testEnvironment: 'node',
  rootDir: __dirname,
  // Type checking is `npm run typecheck`; jest only transpiles, which keeps the suite fast.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  moduleNameMapper: { '^@stockroom/([a-z-]+)$': '<rootDir>/libs/$1/src' },
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'] },
    // The middle tier: repositories, the cache and units of work on the real MySQL and Redis, no HTTP.
    { ...common, displayName: 'medium', testMatch: ['<rootDir>/test/medium/**/*.medium-spec.ts'], setupFilesAfterEnv: ['<rootDir>/test/support/jest-setup.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'], setupFilesAfterEnv: ['<rootDir>/test/support/jest-setup.ts'] },
    // The fault suite (a MariaDB and a Redis of its own, killed in turn): part of `jest`, alone as `npm run test:faults`.
    { ...common, displayName: 'faults', testMatch: ['<rootDir>/test/**/*.faults-spec.ts'], setupFilesAfterEnv: ['<rootDir>/test/support/jest-setup.ts'] },
  ],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  maxWorkers: 2,
  // A bound for a hung test, not a speed: a machine half as fast, loaded, stays well inside it.
  testTimeout: 180_000,
};
