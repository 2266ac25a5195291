/**
 * Jest's transform for the TypeScript of the tests, src/ and connectors/ (and the ES modules of jose): the same
 * transpilation as the processes the tests start (ts-transpile.js), through the same disk cache. That cache is keyed
 * by the path within the checkout, unlike jest's own (keyed by the checkout's absolute path), so a fresh clone of
 * the same sources (a CI run) does not compile every file again in every worker.
 */
const { createHash } = require('node:crypto');
const path = require('node:path');
const { transpile, ROOT, OPTIONS_KEY } = require('./ts-transpile');

module.exports = {
  process(sourceText, sourcePath) {
    return { code: transpile(sourceText, sourcePath) };
  },
  getCacheKey(sourceText, sourcePath) {
    return createHash('sha256').update(OPTIONS_KEY).update(path.relative(ROOT, sourcePath)).update('\0').update(sourceText).digest('hex');
  },
};
