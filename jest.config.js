/**
 * Unit and integration tests run on the embedded SQLite database; when TEST_DATABASE_URL is set
 * (mysql:// or mariadb://), the integration suite runs a second time against that server.
 *
 * Files run in parallel workers (TEST_WORKERS, default 3: most of a file's time is spent waiting on child
 * processes, timers and the database, not on the CPU). On the server each worker has a database of its own,
 * `<database of TEST_DATABASE_URL>_w<worker>`, created before the first file and dropped after the last
 * (tests/helpers/server-databases.ts); the database named by TEST_DATABASE_URL itself is not used.
 * @type {import('jest').Config}
 */
const fs = require('node:fs');
const path = require('node:path');

// Test roots that exist in this checkout (a folder without tests yet may be absent).
const roots = (...folders) =>
  folders.filter((folder) => fs.existsSync(path.join(__dirname, folder))).map((folder) => `<rootDir>/${folder}`);

const base = {
  testEnvironment: 'node',
  // TypeScript transpiled file by file (tsconfig.json sets isolatedModules; types are checked by `npm run
  // typecheck`), as the processes the tests start run it, through one disk cache (tests/helpers/jest-transform.js).
  transform: {
    '^.+\\.ts$': '<rootDir>/tests/helpers/jest-transform.js',
    // jose ships ES modules only; Node loads them with require(), Jest's module system needs them compiled.
    '/node_modules/jose/.+\\.js$': '<rootDir>/tests/helpers/jest-transform.js',
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  setupFiles: ['reflect-metadata'],
};

const projects = [
  {
    ...base,
    displayName: 'sqlite',
    roots: roots('tests', 'connectors'),
    testMatch: ['**/*.test.ts'],
  },
];

if (process.env.TEST_DATABASE_URL) {
  projects.push({
    ...base,
    displayName: 'mariadb',
    roots: ['<rootDir>/tests/integration'],
    testMatch: ['**/*.test.ts'],
    setupFiles: [...base.setupFiles, '<rootDir>/tests/helpers/use-server-database.js'],
    // One database per worker; an unreachable server fails the run here (never a skip).
    globalSetup: '<rootDir>/tests/helpers/server-databases.setup.ts',
    globalTeardown: '<rootDir>/tests/helpers/server-databases.teardown.ts',
  });
}

const workers = Number(process.env.TEST_WORKERS);

module.exports = {
  projects,
  maxWorkers: Number.isInteger(workers) && workers > 0 ? workers : 3,
  testTimeout: 60000,
  // Without timings of an earlier run, files that start hub processes (the longest) go first.
  testSequencer: '<rootDir>/tests/helpers/test-sequencer.js',
  // The run's ten slowest files (and tests), after jest's summary.
  reporters: ['default', '<rootDir>/tests/helpers/slowest-reporter.js'],
};
