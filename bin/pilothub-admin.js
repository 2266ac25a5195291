#!/usr/bin/env node
// `pilothub-admin <command>`: the administration commands of the compiled build (src/admin.ts). In the image and
// on a clone alike; a clone needs `npm run build` first, which this says instead of a module-not-found trace.
const fs = require('node:fs');
const path = require('node:path');

const compiled = path.join(__dirname, '..', 'dist', 'src', 'admin.js');
if (!fs.existsSync(compiled)) {
  process.stderr.write(`pilothub-admin: ${path.relative(process.cwd(), compiled) || compiled} is missing: run \`npm run build\` first (the admin commands run the compiled code)\n`);
  process.exit(1);
}
require(compiled);
