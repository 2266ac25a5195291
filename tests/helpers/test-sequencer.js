/**
 * Jest's order (files that failed last time first, then the longest by the timings of the previous run), with one
 * change for files it has no timing of (a fresh clone, as in CI): those that start hub processes — the longest of
 * the suite — go first, so no worker is left with one of them at the end of the run while the others sit idle.
 */
const fs = require('node:fs');
const Sequencer = require('@jest/test-sequencer').default;

const STARTS_PROCESSES = /startHubProcess\(|TYPESCRIPT_NODE_ARGUMENTS/;

class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const startsProcesses = new Map();
    const first = (test) => {
      if (test.duration != null) return false;
      if (!startsProcesses.has(test.path)) startsProcesses.set(test.path, STARTS_PROCESSES.test(fs.readFileSync(test.path, 'utf8')));
      return startsProcesses.get(test.path);
    };
    return [...sorted.filter(first), ...sorted.filter((test) => !first(test))];
  }
}

module.exports = SlowFirstSequencer;
