/**
 * Progress on a terminal: a cli-progress bar redrawn in place (a sliding bar while the total is unknown, as for a
 * run, whose rows are counted as they come); in a pipe or file, plain lines (at most one a second, and only when
 * something changed), so logs stay readable.
 */
import { SingleBar } from 'cli-progress';
import { formatDuration, formatNumber } from './format';

export interface Progress {
  /** New figures so far (`value`: the bar's position; `total` when it becomes known) and the plain line saying them. */
  update(values: Record<string, number>, line: string): void;
  stop(): void;
}

const BAR_SIZE = 30;
const SLIDER = 6;

/** The template with {bar}, {elapsed}, {percentage} and the payload's figures (in Vietnamese format) filled in. */
function render(template: string, bar: string, elapsedMs: number, payload: Record<string, unknown>, percentage: string): string {
  return template.replace(/\{(\w+)\}/g, (match, key: string) => {
    if (key === 'bar') return bar;
    if (key === 'elapsed') return formatDuration(elapsedMs);
    if (key === 'percentage') return percentage;
    const value = payload[key];
    return typeof value === 'number' ? formatNumber(value) : match;
  });
}

export function progressFor(stream: NodeJS.WriteStream, options: { total?: number; format: string; quiet?: boolean; initial: Record<string, number> }): Progress {
  if (options.quiet) return { update: () => undefined, stop: () => undefined };
  if (stream.isTTY) {
    const started = Date.now();
    let known = options.total !== undefined;
    const bar = new SingleBar({
      stream,
      hideCursor: true,
      clearOnComplete: false,
      fps: 10,
      format: (_options, params, payload: Record<string, unknown>) => {
        const elapsed = Date.now() - started;
        let drawn: string;
        if (known && params.total > 0) {
          const filled = Math.min(BAR_SIZE, Math.round((params.value / params.total) * BAR_SIZE));
          drawn = '█'.repeat(filled) + '░'.repeat(BAR_SIZE - filled);
        } else {
          // Total unknown: a block sliding back and forth says the work goes on.
          const span = BAR_SIZE - SLIDER;
          const step = Math.floor(elapsed / 100) % (2 * span);
          const at = step < span ? step : 2 * span - step;
          drawn = '░'.repeat(at) + '█'.repeat(SLIDER) + '░'.repeat(span - at);
        }
        const percentage = params.total > 0 ? `${Math.floor((params.value / params.total) * 100)}` : '0';
        return render(options.format, drawn, elapsed, { ...payload, value: params.value, total: params.total }, percentage);
      },
    });
    bar.start(options.total ?? 0, options.initial.value ?? 0, options.initial);
    return {
      update(values) {
        const { value = 0, total, ...payload } = values;
        if (total !== undefined) {
          known = true;
          bar.setTotal(total);
        }
        bar.update(value, payload);
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
