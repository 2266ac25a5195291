/**
 * Jest reporter: after the summary, lists the ten slowest test files (per project) and the ten slowest tests
 * of the run, so a slow file shows up in every CI log rather than only in a profile.
 */
const path = require('node:path');

const COUNT = 10;
const seconds = (ms) => `${(ms / 1000).toFixed(1).padStart(6)} s`;

class SlowestReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const files = results.testResults
      .filter((file) => file.perfStats && file.perfStats.end > 0)
      .map((file) => ({
        name: `${file.displayName ? `${typeof file.displayName === 'string' ? file.displayName : file.displayName.name} ` : ''}${path.relative(this.rootDir, file.testFilePath)}`,
        ms: file.perfStats.end - file.perfStats.start,
        tests: file.testResults,
      }));
    if (files.length === 0) return;
    const tests = files.flatMap((file) => file.tests.map((test) => ({ name: `${file.name} › ${test.fullName}`, ms: test.duration ?? 0 })));
    const lines = ['', `Slowest ${Math.min(COUNT, files.length)} test files:`];
    for (const file of [...files].sort((a, b) => b.ms - a.ms).slice(0, COUNT)) lines.push(`  ${seconds(file.ms)}  ${file.name}`);
    lines.push(`Slowest ${Math.min(COUNT, tests.length)} tests:`);
    for (const test of tests.sort((a, b) => b.ms - a.ms).slice(0, COUNT)) lines.push(`  ${seconds(test.ms)}  ${test.name}`);
    process.stderr.write(`${lines.join('\n')}\n`);
  }
}

module.exports = SlowestReporter;
