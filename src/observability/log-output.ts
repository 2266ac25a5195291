/**
 * Where the hub's log lines go: standard output, written without ever blocking the process. A synchronous write
 * to a pipe nobody reads (a stuck log shipper, `… | less` left open) blocks the event loop: requests stop, and a
 * SIGTERM is never handled. Here each chunk is written by the thread pool (fs.write), one at a time; lines
 * written meanwhile wait in memory up to a bound, beyond which they are dropped and counted (the count is
 * written as a line of its own once the output moves again). A closed output (EPIPE) drops every later line.
 * A shutdown waits for the queue a bounded time ({@link drainLogs}), then exits whatever the output does.
 */
import fs from 'node:fs';

/** Most characters of log lines kept waiting for a slow output. */
const MAX_QUEUED_CHARACTERS = 8 * 1024 * 1024;
/** Pause before writing again to a full non-blocking output (EAGAIN). */
const RETRY_MS = 20;

export class LogOutput {
  private queue: string[] = [];
  private queued = 0;
  private writing = false;
  private gone = false;
  private dropped = 0;
  private waiting: Array<() => void> = [];

  constructor(
    /** The line that reports `count` dropped lines, in the output's format. */
    private readonly droppedLine: (count: number) => string,
    private readonly fd = 1,
    private readonly maxQueued = MAX_QUEUED_CHARACTERS,
  ) {}

  /** Queues `text` (whole lines); never blocks, never throws. */
  write(text: string): boolean {
    if (this.gone) return true;
    if (this.queued + text.length > this.maxQueued) {
      this.dropped += 1;
      return true;
    }
    this.queue.push(text);
    this.queued += text.length;
    if (!this.writing) this.writeQueued();
    return true;
  }

  /** Whether every queued line has been written (or the output is gone). */
  get idle(): boolean {
    return this.gone || (!this.writing && this.queue.length === 0);
  }

  /** Resolves true once everything queued is written (or the output is gone), false after `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.idle) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiting.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private writeQueued(): void {
    if (this.dropped > 0) {
      this.queue.push(this.droppedLine(this.dropped));
      this.dropped = 0;
    }
    const chunk = Buffer.from(this.queue.join(''), 'utf8');
    this.queue = [];
    this.queued = 0;
    this.writing = true;
    this.send(chunk, 0);
  }

  private send(chunk: Buffer, offset: number): void {
    fs.write(this.fd, chunk, offset, chunk.length - offset, null, (error, written) => {
      if (error) {
        if (error.code === 'EAGAIN') {
          setTimeout(() => this.send(chunk, offset), RETRY_MS).unref();
          return;
        }
        // EPIPE (the reader is gone), EBADF…: nothing will be read any more.
        this.gone = true;
        this.queue = [];
        this.queued = 0;
        this.writing = false;
        this.settle();
        return;
      }
      if (offset + written < chunk.length) {
        this.send(chunk, offset + written);
        return;
      }
      this.writing = false;
      if (this.queue.length > 0 || this.dropped > 0) this.writeQueued();
      else this.settle();
    });
  }

  private settle(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}

const outputs = new Set<LogOutput>();

/** A log output on standard output; {@link drainLogs} waits for it. */
export function standardOutput(droppedLine: (count: number) => string): LogOutput {
  const output = new LogOutput(droppedLine);
  outputs.add(output);
  return output;
}

/** Waits at most `timeoutMs` for the log lines still queued on standard output; true when all were written. */
export async function drainLogs(timeoutMs: number): Promise<boolean> {
  const results = await Promise.all([...outputs].map((output) => output.drain(timeoutMs)));
  return results.every(Boolean);
}
