/**
 * `node tests/helpers/transpile-build.js <outDir>`: the compiled build of src/ and connectors/ (what
 * `tsc -p tsconfig.build.json` emits: every .ts file but the tests, and the .json files the code imports) plus the
 * data files `npm run build` copies, for the tests that run the compiled hub and commands. Each file is transpiled
 * on its own (tsconfig.json sets isolatedModules, so the JavaScript is tsc's) through the cache of ts-transpile.js:
 * a few seconds instead of tsc's ~40 s of type checking, which `npm run typecheck` and CI's build do anyway.
 */
const fs = require('node:fs');
const path = require('node:path');
const { transpile, ROOT } = require('./ts-transpile');

const outDir = path.resolve(process.argv[2]);

function visit(relative) {
  for (const entry of fs.readdirSync(path.join(ROOT, relative), { withFileTypes: true })) {
    const child = path.join(relative, entry.name);
    if (entry.isDirectory()) {
      // Test fixtures are not part of the build (tsc emits only the .json files the code imports).
      if (entry.name !== 'fixtures') visit(child);
    } else if (/\.ts$/.test(entry.name) && !/\.(test|d)\.ts$/.test(entry.name)) {
      const source = path.join(ROOT, child);
      const target = path.join(outDir, child.replace(/\.ts$/, '.js'));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, transpile(fs.readFileSync(source, 'utf8'), source));
    } else if (/\.json$/.test(entry.name)) {
      fs.mkdirSync(path.join(outDir, relative), { recursive: true });
      fs.copyFileSync(path.join(ROOT, child), path.join(outDir, child));
    }
  }
}

for (const folder of ['src', 'connectors']) visit(folder);
require(path.join(ROOT, 'bin', 'copy-build-data.js'));
