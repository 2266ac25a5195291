/**
 * Long work on the main thread (combining a large answer, parsing and storing a large batch) is done in slices
 * with a turn of the event loop between them, so health checks and other requests are answered meanwhile.
 */

/** Hands control back to the event loop (pending I/O, timers, other requests) before continuing. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Measures slices of work: `if (slicer.due()) await yieldToEventLoop();` inside a loop costs a clock read per item
 * and yields once every `sliceMs`.
 */
export class Slicer {
  private sliceStart = performance.now();

  constructor(private readonly sliceMs = 10) {}

  /** True (and a new slice starts) once the current slice has lasted `sliceMs`. */
  due(): boolean {
    const now = performance.now();
    if (now - this.sliceStart < this.sliceMs) return false;
    this.sliceStart = now;
    return true;
  }
}
