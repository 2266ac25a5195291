// Stores the better-sqlite3 addon that `npm ci` just compiled as prebuild-install's own cache entry
// (<npm cache>/_prebuilds/<hash>-better-sqlite3-v<version>-node-v<abi>-<platform>-<arch>.tar.gz). Without internet
// prebuild-install cannot download the release binary and node-gyp compiles SQLite from source on every `npm ci`
// (about a minute on two cores); with the entry, the next `npm ci` on this machine unpacks it instead. The entry is
// named by the package version and Node's ABI, so an upgrade of either compiles (and caches) again.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const packageJson = require('better-sqlite3/package.json');
const settings = require('prebuild-install/rc')(packageJson);
const util = require('prebuild-install/util');

const cached = util.cachedPrebuild(util.getDownloadUrl({ ...settings, pkg: packageJson }));
const moduleDirectory = path.dirname(require.resolve('better-sqlite3/package.json'));
const addon = path.join('build', 'Release', 'better_sqlite3.node');

if (fs.existsSync(cached)) {
  console.log(`native addon cache: ${cached} present`);
} else if (!fs.existsSync(path.join(moduleDirectory, addon))) {
  console.log(`native addon cache: nothing to store (${addon} not built)`);
} else {
  fs.mkdirSync(path.dirname(cached), { recursive: true });
  // Written under a temporary name first: a concurrent `npm ci` never reads a half-written archive.
  const partial = `${cached}.${process.pid}.partial`;
  execFileSync('tar', ['-czf', partial, '-C', moduleDirectory, addon]);
  fs.renameSync(partial, cached);
  console.log(`native addon cache: stored ${cached}`);
}
