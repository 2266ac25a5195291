/**
 * Progress on a terminal: a cli-progress bar redrawn in place; in a pipe or file, plain lines (at most one a
 * second, and only when something changed), so logs stay readable.
 */
import { SingleBar } from 'cli-progress';
import { formatNumber } from './format';

export interface Progress {
  /** New totals so far; `total` when known (a push: the rows of the file). */
  update(values: Record<string, number>, line: string): void;
  stop(): void;
}

export function progressFor(stream: NodeJS.WriteStream, options: { total?: number; format: string; quiet?: boolean }): Progress {
  if (options.quiet) return { update: () => undefined, stop: () => undefined };
  if (stream.isTTY) {
    const bar = new SingleBar(
      {
        format: options.format,
        stream,
        hideCursor: true,
        clearOnComplete: false,
        barsize: 30,
        fps: 10,
        // cli-progress formats {value} and {total}; the other figures are ours, in Vietnamese format.
        formatValue: (value, _options, type) => (type === 'value' || type === 'total' ? formatNumber(value) : String(value)),
      },
      { format: options.format, barCompleteChar: '█', barIncompleteChar: '░' },
    );
    bar.start(options.total ?? 0, 0, {});
    return {
      update(values) {
        const { value = 0, total, ...payload } = values;
        if (total !== undefined) bar.setTotal(total);
        bar.update(value, Object.fromEntries(Object.entries(payload).map(([key, figure]) => [key, formatNumber(figure)])));
      },
      stop: () => bar.stop(),
    };
  }
  let last = '';
  let lastAt = 0;
  return {
    update(_values, line) {
      const now = Date.now();
      if (line === last || now - lastAt < 1000) return;
      last = line;
      lastAt = now;
      stream.write(`${line}\n`);
    },
    stop: () => undefined,
  };
}
