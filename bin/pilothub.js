#!/usr/bin/env node
// `pilothub <command>`: the PilotHub CLI (src/cli, docs/cli.md). The image holds the compiled build and runs it. A
// clone needs no build step after `npm ci`: the CLI's TypeScript sources (src/cli, which imports nothing else of
// the repository) are compiled on demand with TypeScript's transpiler into dist/.cli/<hash of the sources>/, once
// per change of the sources, so later runs start at plain Node speed.
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const sources = path.join(root, 'src', 'cli');

function tsFiles(folder) {
  return fs
    .readdirSync(folder, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? tsFiles(path.join(folder, entry.name)) : /\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) ? [path.join(folder, entry.name)] : []))
    .sort();
}

function compiledFromSources() {
  const files = tsFiles(sources);
  const hash = createHash('sha256');
  for (const file of files) hash.update(path.relative(sources, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  // Under dist/, so the compiled files resolve packages from the repository's node_modules.
  const target = path.join(root, 'dist', '.cli', hash.digest('hex').slice(0, 16));
  const main = path.join(target, 'main.js');
  if (fs.existsSync(main)) return main;
  const ts = require('typescript');
  const partial = `${target}.${process.pid}`;
  for (const file of files) {
    const output = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, isolatedModules: true, sourceMap: false },
    });
    const out = path.join(partial, path.relative(sources, file).replace(/\.ts$/, '.js'));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, output.outputText);
  }
  try {
    fs.renameSync(partial, target);
  } catch {
    // Another run compiled the same sources first.
    fs.rmSync(partial, { recursive: true, force: true });
  }
  return main;
}

let main;
if (fs.existsSync(path.join(sources, 'main.ts'))) {
  main = compiledFromSources();
} else {
  main = path.join(root, 'dist', 'src', 'cli', 'main.js');
  if (!fs.existsSync(main)) {
    process.stderr.write(`pilothub: ${main} is missing: run \`npm run build\` first\n`);
    process.exit(1);
  }
}
require(main).main(process.argv.slice(2));
