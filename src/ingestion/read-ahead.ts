/**
 * The batches of `source`, each transformed as soon as it arrives, the next one read while the caller works on the
 * current one: a run fetches, parses and maps page n + 1 while page n is written, instead of leaving the database
 * idle while it reads and the feed idle while it writes. Batches are handed over in order, one at a time; a read
 * error surfaces when its batch is asked for, as before. When the caller stops early (its write failed, the run
 * was stopped), a read still in flight is left to finish and the source is then closed, without waiting for it.
 */
export async function* readAhead<T, U>(source: AsyncIterable<T>, transform: (item: T) => U): AsyncGenerator<U> {
  const iterator = source[Symbol.asyncIterator]();
  const read = (): Promise<IteratorResult<T> | { done: false; value: U; transformed: true }> =>
    iterator.next().then((result) => (result.done ? result : { done: false as const, value: transform(result.value), transformed: true as const }));
  let pending: ReturnType<typeof read> | null = read();
  try {
    for (;;) {
      const result = await pending;
      pending = null;
      if (result.done) return;
      pending = read();
      // Awaited at the next turn of the loop; until then its failure must not count as unhandled.
      pending.catch(() => undefined);
      yield result.value as U;
    }
  } finally {
    if (pending) {
      const closing = pending.then(
        () => iterator.return?.(),
        () => undefined,
      );
      closing.catch(() => undefined);
    } else {
      await iterator.return?.();
    }
  }
}
