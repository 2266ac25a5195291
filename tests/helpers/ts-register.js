/**
 * `node -r ./tests/helpers/ts-register.js file.ts`: what `ts-node --transpile-only` does for the processes the
 * tests start (scheduler workers, the hub as `npm start` runs it), with the compiled output cached across the
 * processes of a run (ts-transpile.js), so the tenth process of a run does not compile the whole source tree again
 * (several seconds of CPU each). Stack traces point at the TypeScript lines.
 */
const fs = require('node:fs');
const { transpile } = require('./ts-transpile');

process.setSourceMapsEnabled(true);

require.extensions['.ts'] = (module, filename) => {
  module._compile(transpile(fs.readFileSync(filename, 'utf8'), filename), filename);
};
