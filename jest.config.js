/**
 * Unit and integration tests run on the embedded SQLite database; when TEST_DATABASE_URL is set
 * (mysql:// or mariadb://), the integration suite runs a second time against that server.
 * @type {import('jest').Config}
 */
const fs = require('node:fs');
const path = require('node:path');

// Test roots that exist in this checkout (a folder without tests yet may be absent).
const roots = (...folders) =>
  folders.filter((folder) => fs.existsSync(path.join(__dirname, folder))).map((folder) => `<rootDir>/${folder}`);

const base = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    // jose ships ES modules only; Node loads them with require(), Jest's module system needs them compiled.
    '/node_modules/jose/.+\\.js$': ['ts-jest', { diagnostics: false, tsconfig: { allowJs: true, module: 'commonjs' } }],
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
  });
}

module.exports = {
  projects,
  // Integration files share one database server: run them one after another.
  maxWorkers: 1,
  testTimeout: 60000,
};
