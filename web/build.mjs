#!/usr/bin/env node
// Builds the web console into web/dist once per version of its sources: `npm ci` runs it (the `prepare` script),
// `npm start` runs it again and it returns at once when web/dist/.source-hash matches the sources. `--force`
// rebuilds anyway. Sources: web/ (without dist/), the hub files the console imports (SHARED) and package-lock.json
// (the versions of Vite, React, GraphiQL…).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const web = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(web);
const dist = path.join(web, 'dist');
const stamp = path.join(dist, '.source-hash');
/** Files of the hub the console bundles too (one translation of responsible persons' titles for report and console). */
const SHARED = ['src/modules/progress/report-language.ts'];

function sourceHash() {
  const hash = createHash('sha256');
  const visit = (full) => {
    const stat = fs.statSync(full);
    if (stat.isDirectory()) {
      if (full === dist || path.basename(full) === 'node_modules') return;
      for (const name of fs.readdirSync(full).sort()) visit(path.join(full, name));
    } else if (stat.isFile()) {
      hash.update(`${path.relative(root, full)}\0`).update(fs.readFileSync(full)).update('\0');
    }
  };
  visit(web);
  for (const file of SHARED) visit(path.join(root, file));
  const lock = path.join(root, 'package-lock.json');
  if (fs.existsSync(lock)) hash.update(fs.readFileSync(lock));
  return hash.digest('hex').slice(0, 24);
}

const wanted = sourceHash();
if (!process.argv.includes('--force') && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === wanted) {
  process.exit(0);
}
const started = Date.now();
console.log('web console: building web/dist (once per version of web/)…');
// A production build whoever runs it (jest sets NODE_ENV=test, which would give React's development build).
process.env.NODE_ENV = 'production';
let build;
try {
  ({ build } = await import('vite'));
} catch {
  // An install without devDependencies (npm ci --omit=dev) has no Vite: the hub answers 503 for the console's pages.
  console.warn('web console: Vite is not installed (an install without devDependencies); web/dist is not built');
  process.exit(0);
}
await build({ configFile: path.join(web, 'vite.config.mjs') });
// Every script, stylesheet and font also gzipped once (name.gz): the hub sends it to browsers that accept gzip
// (src/http/console.ts), a third of the bytes on a slow office network.
for (const name of fs.readdirSync(path.join(dist, 'assets'))) {
  if (!/\.(js|css|ttf)$/.test(name)) continue;
  const file = path.join(dist, 'assets', name);
  fs.writeFileSync(`${file}.gz`, zlib.gzipSync(fs.readFileSync(file), { level: 9 }));
}
fs.writeFileSync(stamp, `${wanted}\n`);
console.log(`web console: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
