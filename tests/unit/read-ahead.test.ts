import { readAhead } from '../../src/ingestion/read-ahead';

/** Lets every settled promise run its handlers (a few turns of the event loop). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

/** A source of `count` pages that records what was read and whether it was closed (its finally ran). */
function pages(count: number, options: { failAt?: number } = {}) {
  const log = { read: [] as number[], closed: false };
  async function* source(): AsyncGenerator<number> {
    try {
      for (let page = 1; page <= count; page += 1) {
        await Promise.resolve();
        if (page === options.failAt) throw new Error(`page ${page} could not be read`);
        log.read.push(page);
        yield page;
      }
    } finally {
      log.closed = true;
    }
  }
  return { log, source: source() };
}

describe('readAhead', () => {
  let unhandled: unknown[];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  it('hands every page over in order, transformed, reading one page ahead of the caller', async () => {
    const { log, source } = pages(3);
    const seen: Array<{ page: number; readBefore: number[] }> = [];
    for await (const page of readAhead(source, (value) => value * 10)) {
      await settle();
      seen.push({ page, readBefore: [...log.read] });
    }
    expect(seen).toEqual([
      { page: 10, readBefore: [1, 2] },
      { page: 20, readBefore: [1, 2, 3] },
      { page: 30, readBefore: [1, 2, 3] },
    ]);
    expect(log.closed).toBe(true);
  });

  it("surfaces a read error when its page is asked for, after the caller handled the pages before it; no unhandled rejection", async () => {
    const { log, source } = pages(3, { failAt: 2 });
    const handled: number[] = [];
    const run = async () => {
      for await (const page of readAhead(source, (value) => value)) {
        await settle(); // the read of page 2 fails meanwhile
        handled.push(page);
      }
    };
    await expect(run()).rejects.toThrow('page 2 could not be read');
    expect(handled).toEqual([1]);
    expect(log.closed).toBe(true);
    await settle();
    expect(unhandled).toEqual([]);
  });

  it('surfaces an error of the transform (a mapping that throws) with its page, and closes the source', async () => {
    const { log, source } = pages(5);
    const handled: number[] = [];
    const run = async () => {
      const transform = (value: number) => {
        if (value === 2) throw new Error('mapping failed on page 2');
        return value;
      };
      for await (const page of readAhead(source, transform)) {
        await settle();
        handled.push(page);
      }
    };
    await expect(run()).rejects.toThrow('mapping failed on page 2');
    expect(handled).toEqual([1]);
    await settle();
    // The source (e.g. a SQL connector's connection, held open while its stream is paused) is closed.
    expect(log.closed).toBe(true);
    expect(log.read).toEqual([1, 2]);
    expect(unhandled).toEqual([]);
  });

  it('closes the source when the caller stops while the next page failed to transform', async () => {
    const { log, source } = pages(5);
    const transform = (value: number) => {
      if (value === 2) throw new Error('mapping failed on page 2');
      return value;
    };
    for await (const page of readAhead(source, transform)) {
      await settle(); // the transform of page 2 fails meanwhile
      expect(page).toBe(1);
      break; // e.g. the write of page 1 failed, or the run was stopped
    }
    await settle();
    expect(log.closed).toBe(true);
    expect(log.read).toEqual([1, 2]);
    expect(unhandled).toEqual([]);
  });

  it('stops reading when the caller stops: the read in flight finishes, then the source is closed, without waiting for it', async () => {
    const { log, source } = pages(100);
    for await (const page of readAhead(source, (value) => value)) {
      if (page === 3) break;
    }
    await settle();
    expect(log.read.length).toBeLessThanOrEqual(4);
    expect(log.closed).toBe(true);
    expect(unhandled).toEqual([]);
  });
});
