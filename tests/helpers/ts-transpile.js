/**
 * TypeScript to JavaScript as `ts-node --transpile-only` does it: every .ts file compiled on its own with the compiler
 * options of tsconfig.json (which sets isolatedModules, so this is also what tsc emits), with inline source maps.
 * The output is kept in a disk cache shared by the processes of a run (ts-register.js) and the compiled builds of
 * the tests (transpile-build.js).
 *
 * Cache: $PILOTHUB_TS_CACHE, default <os tmpdir>/pilothub-ts-cache; entries are keyed by a hash of the file's
 * path in the checkout and its text, the compiler options and the TypeScript version, and written atomically, so parallel processes
 * share it safely and an edited file is compiled afresh.
 */
const { createHash, randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const ts = require('typescript');

const ROOT = path.join(__dirname, '..', '..');
const CACHE = process.env.PILOTHUB_TS_CACHE || path.join(os.tmpdir(), 'pilothub-ts-cache');

const configFile = path.join(ROOT, 'tsconfig.json');
const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(configFile, ts.sys.readFile).config, ts.sys, ROOT);
// Without outDir, each source map names its file relative to the file itself (`period.ts`), which is where stack
// traces then point.
const compilerOptions = { ...parsed.options, outDir: undefined, sourceMap: false, inlineSourceMap: true, inlineSources: false, declaration: false, noEmit: false };
const optionsKey = createHash('sha256').update(`${ts.version}\n${JSON.stringify(compilerOptions)}`).digest('hex');

fs.mkdirSync(CACHE, { recursive: true });

/** The JavaScript of one TypeScript file (`source` is its text, `filename` its absolute path). */
function transpile(source, filename) {
  // Keyed by the path within the checkout, not the absolute one: the output does not depend on where the checkout
  // is, so a fresh clone of the same sources (a CI run) finds what an earlier checkout compiled.
  const key = createHash('sha256').update(optionsKey).update(path.relative(ROOT, filename)).update('\0').update(source).digest('hex');
  const cached = path.join(CACHE, `${key}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    // not cached yet
  }
  const output = ts.transpileModule(source, { compilerOptions, fileName: filename, reportDiagnostics: false }).outputText;
  const temporary = `${cached}.${process.pid}.${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(temporary, output);
  fs.renameSync(temporary, cached);
  return output;
}

module.exports = { transpile, ROOT, OPTIONS_KEY: optionsKey };
