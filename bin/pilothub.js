#!/usr/bin/env node
// `pilothub <command>`: the PilotHub CLI (src/cli, docs/cli.md). In a clone it runs the TypeScript sources through
// ts-node (transpile only: no build step after `npm ci`); in the image, which holds no sources, the compiled build.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const source = path.join(root, 'src', 'cli', 'main.ts');
let cli;
if (fs.existsSync(source)) {
  require('ts-node').register({ transpileOnly: true, project: path.join(root, 'tsconfig.json') });
  cli = require(source);
} else {
  const compiled = path.join(root, 'dist', 'src', 'cli', 'main.js');
  if (!fs.existsSync(compiled)) {
    process.stderr.write(`pilothub: ${compiled} is missing: run \`npm run build\` first\n`);
    process.exit(1);
  }
  cli = require(compiled);
}
cli.main(process.argv.slice(2));
