import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogOutput } from '../../src/observability/log-output';

describe('LogOutput', () => {
  let folder: string;
  beforeEach(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-log-output-'));
  });
  afterEach(() => {
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('writes lines in order without blocking, drops what exceeds its bound and says how many, and drains', async () => {
    const file = path.join(folder, 'out.log');
    const fd = fs.openSync(file, 'w');
    try {
      const output = new LogOutput((count) => `dropped ${count}\n`, fd, 100);
      // All in one turn of the event loop: the first line is being written, the next ones wait, up to 100 characters.
      for (let index = 0; index < 20; index += 1) output.write(`line ${String(index).padStart(2, '0')} ........\n`);
      expect(output.idle).toBe(false);
      expect(await output.drain(5_000)).toBe(true);
      output.write('after\n');
      expect(await output.drain(5_000)).toBe(true);
      const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
      // The first line went out at once; the next five fit the queue (5 × 20 characters); fourteen were dropped.
      expect(lines).toEqual([...[0, 1, 2, 3, 4, 5].map((index) => `line ${String(index).padStart(2, '0')} ........`), 'dropped 14', 'after']);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('drops everything once the output is gone, and never throws', async () => {
    const fd = fs.openSync(path.join(folder, 'closed.log'), 'w');
    fs.closeSync(fd);
    const output = new LogOutput(() => '', fd);
    expect(output.write('into a closed descriptor\n')).toBe(true);
    expect(await output.drain(5_000)).toBe(true);
    expect(output.write('and again\n')).toBe(true);
    expect(output.idle).toBe(true);
  });
});
