/**
 * The batches of `source`, each transformed as soon as it arrives, the next one read while the caller works on the
 * current one: a run fetches, parses and maps page n + 1 while page n is written, instead of leaving the database
 * idle while it reads and the feed idle while it writes. Batches are handed over in order, one at a time; a read
 * error, or an error of the transform, surfaces when its batch is asked for, as before. When the caller stops early
 * (its write failed, the run was stopped), a read still in flight is left to finish and the source is then closed,
 * without waiting for it. The source is closed however the batches stop, as `for await` would close it (a transform
 * that throws leaves it open, e.g. a SQL connector's connection), unless its own read failed: it has then finished.
 */
export async function* readAhead<T, U>(source: AsyncIterable<T>, transform: (item: T) => U): AsyncGenerator<U> {
  const iterator = source[Symbol.asyncIterator]();
  let sourceFailed = false;
  const read = (): Promise<IteratorResult<T> | { done: false; value: U; transformed: true }> =>
    iterator.next().then(
      (result) => (result.done ? result : { done: false as const, value: transform(result.value), transformed: true as const }),
      (error: unknown) => {
        sourceFailed = true;
        throw error;
      },
    );
  const close = async (): Promise<void> => {
    if (!sourceFailed) await iterator.return?.();
  };
  let next = read();
  // The read not yet awaited, if any: what is left in flight when the caller stops.
  let inFlight: typeof next | null = next;
  let failed = false;
  try {
    for (;;) {
      inFlight = null;
      const result = await next;
      if (result.done) return;
      next = read();
      inFlight = next;
      // Awaited at the next turn of the loop; until then its failure must not count as unhandled.
      next.catch(() => undefined);
      yield result.value as U;
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    if (inFlight) {
      const closing = inFlight.then(close, close);
      closing.catch(() => undefined);
    } else if (failed) {
      // The caller gets the error that stopped the batches, not one of closing the source.
      await close().catch(() => undefined);
    } else {
      await close();
    }
  }
}
