#!/usr/bin/env node
'use strict';
// Copies the data files the compiled code reads at run time, which tsc does not emit, into a build's output folder:
// the reference catalogue of the seed (src/seed/data/catalogue-2024/*.csv, the spreadsheet import format).
//   node bin/copy-build-data.js [outDir]      (default dist; `npm run build` runs it after tsc)
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const DATA = ['src/seed/data/catalogue-2024'];

const outDir = path.resolve(process.argv[2] || path.join(ROOT, 'dist'));
for (const folder of DATA) {
  fs.cpSync(path.join(ROOT, folder), path.join(outDir, folder), { recursive: true });
}
