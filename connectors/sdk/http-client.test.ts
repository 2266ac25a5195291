import zlib from 'node:zlib';
import { Agent } from 'undici';
import { ConnectorError } from './contract';
import { backoffDelay, createHttpClient, HttpStatusError, parseRetryAfter, withRetries } from './http-client';
import { startTestServer, type TestServer } from './testing';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Rejection of `promise`, failing the test if it resolves. */
async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  try {
    await promise;
  } catch (error) {
    return error as ConnectorError;
  }
  throw new Error('expected the request to fail');
}

/** A pause that never keeps the process alive (handlers of closed servers may still be waiting). */
const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

describe('createHttpClient', () => {
  it('returns status, lower-case headers, body, text and json; appends query parameters', async () => {
    server = await startTestServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Trace': 'abc' });
      res.end(JSON.stringify({ ok: true, url: req.url }));
    });
    const client = createHttpClient({ userAgent: 'pilothub-test' });
    const response = await client.request({
      url: `${server.url}/data?fixed=1`,
      query: { from: '2024-01-01', size: 50, all: true },
      headers: { Accept: 'application/json' },
    });
    expect(response.status).toBe(200);
    expect(response.headers['x-trace']).toBe('abc');
    expect(response.json()).toEqual({ ok: true, url: '/data?fixed=1&from=2024-01-01&size=50&all=true' });
    expect(response.text()).toContain('"ok":true');
    expect(server.requests[0].headers['user-agent']).toBe('pilothub-test');
    expect(server.requests[0].headers.accept).toBe('application/json');
  });

  it('times out when the headers are too slow', async () => {
    server = await startTestServer(async (_req, res) => {
      await wait(1_000);
      res.end('late');
    });
    const client = createHttpClient({ timeoutMs: 150, retries: 0 });
    const started = Date.now();
    const error = await failure(client.request({ url: `${server.url}/slow` }));
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error.errorClass).toBe('TIMEOUT');
    expect(error.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('times out when the body trickles in past the budget (the timeout covers the whole body)', async () => {
    server = await startTestServer(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < 20 && !res.destroyed; i++) {
        res.write('x');
        await wait(50);
      }
      res.end();
    });
    const client = createHttpClient({ timeoutMs: 300, retries: 0 });
    const error = await failure(client.request({ url: `${server.url}/trickle` }));
    expect(error.errorClass).toBe('TIMEOUT');
  });

  it('refuses a body whose Content-Length is over the limit', async () => {
    server = await startTestServer((_req, res) => {
      res.writeHead(200, { 'content-length': '5000' });
      res.end('y'.repeat(5000));
    });
    const client = createHttpClient({ maxBytes: 1000 });
    const error = await failure(client.request({ url: `${server.url}/big` }));
    expect(error.errorClass).toBe('BAD_PAYLOAD');
    expect(error.message).toContain('response larger than 1000 bytes');
    expect(server.requests).toHaveLength(1);
  });

  it('stops reading a streamed body (no Content-Length) once it passes the limit', async () => {
    let written = 0;
    server = await startTestServer(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }); // chunked
      while (written < 10_000_000 && !res.destroyed) {
        res.write(Buffer.alloc(16_384, 1));
        written += 16_384;
        await wait(1);
      }
      res.end();
    });
    const client = createHttpClient({ maxBytes: 64 * 1024 });
    const error = await failure(client.request({ url: `${server.url}/stream` }));
    expect(error.errorClass).toBe('BAD_PAYLOAD');
    expect(error.message).toContain(`response larger than ${64 * 1024} bytes`);
    expect(written).toBeLessThan(10_000_000);
  });

  it('per-request maxBytes overrides the client limit', async () => {
    server = await startTestServer((_req, res) => {
      res.end('z'.repeat(100));
    });
    const client = createHttpClient({ maxBytes: 1_000_000 });
    const error = await failure(client.request({ url: server.url, maxBytes: 10 }));
    expect(error.message).toContain('response larger than 10 bytes');
  });

  it('retries a 500 and then succeeds', async () => {
    let calls = 0;
    server = await startTestServer((_req, res) => {
      calls++;
      if (calls < 3) {
        res.writeHead(500);
        res.end('database down');
      } else {
        res.end('{"ok":1}');
      }
    });
    const response = await createHttpClient({ retries: 2 }).request({ url: `${server.url}/flaky` });
    expect(response.json()).toEqual({ ok: 1 });
    expect(server.requests).toHaveLength(3);
  });

  it('gives up after the retries with SOURCE_UNAVAILABLE carrying the status', async () => {
    server = await startTestServer((_req, res) => {
      res.writeHead(503);
      res.end('maintenance');
    });
    const error = await failure(createHttpClient({ retries: 1 }).request({ url: `${server.url}/down` }));
    expect(error).toBeInstanceOf(HttpStatusError);
    expect(error.errorClass).toBe('SOURCE_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect((error as HttpStatusError).status).toBe(503);
    expect(error.message).toContain('HTTP 503');
    expect(error.message).toContain('maintenance');
    expect(server.requests).toHaveLength(2);
  });

  it('honours Retry-After (seconds) on 429', async () => {
    const times: number[] = [];
    server = await startTestServer((_req, res) => {
      times.push(Date.now());
      if (times.length === 1) {
        res.writeHead(429, { 'retry-after': '1' });
        res.end('slow down');
      } else {
        res.end('[]');
      }
    });
    const response = await createHttpClient({ retries: 2 }).request({ url: `${server.url}/limited` });
    expect(response.json()).toEqual([]);
    expect(times).toHaveLength(2);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(950);
  });

  it('classifies 404 as CONFIG, does not retry, and never echoes the credentials', async () => {
    server = await startTestServer((req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`no such dataset; you sent ${req.headers.authorization}`);
    });
    const error = await failure(
      createHttpClient({ retries: 2 }).request({
        url: `${server.url}/missing?api_key=querysecret`,
        headers: { Authorization: 'Bearer s3cr3t-t0ken-value' },
      }),
    );
    expect(error).toBeInstanceOf(HttpStatusError);
    expect(error.errorClass).toBe('CONFIG');
    expect(error.retryable).toBe(false);
    expect((error as HttpStatusError).status).toBe(404);
    expect(error.message).toContain('HTTP 404');
    expect(error.message).toContain('no such dataset');
    expect(error.message).not.toContain('s3cr3t-t0ken-value');
    expect(error.message).not.toContain('querysecret');
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry a POST', async () => {
    server = await startTestServer((_req, res) => {
      res.writeHead(502);
      res.end();
    });
    const error = await failure(
      createHttpClient({ retries: 3 }).request({ url: server.url, method: 'POST', body: '{"q":1}' }),
    );
    expect(error.errorClass).toBe('SOURCE_UNAVAILABLE');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0].method).toBe('POST');
  });

  it('classifies a refused connection as SOURCE_UNAVAILABLE', async () => {
    const closed = await startTestServer((_req, res) => {
      res.end();
    });
    const url = closed.url;
    await closed.close();
    const error = await failure(createHttpClient({ retries: 0 }).request({ url: `${url}/x` }));
    expect(error.errorClass).toBe('SOURCE_UNAVAILABLE');
    expect(error.message).toContain('connection refused');
  });

  it('classifies a DNS failure as SOURCE_UNAVAILABLE (lookup through the dispatcher)', async () => {
    const dispatcher = new Agent({
      connect: {
        lookup: (hostname, _options, callback) =>
          callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 4),
      },
    });
    try {
      const error = await failure(
        createHttpClient({ retries: 0, dispatcher }).request({ url: 'http://registry.example.invalid/' }),
      );
      expect(error.errorClass).toBe('SOURCE_UNAVAILABLE');
      expect(error.message).toContain('host name not found');
    } finally {
      await dispatcher.close();
    }
  });

  it('lets an outbound-host guard in the dispatcher refuse a host with its own ConnectorError, unretried', async () => {
    let lookups = 0;
    const guard = new Agent({
      connect: {
        lookup: (hostname, _options, callback) => {
          lookups++;
          callback(new ConnectorError('CONFIG', `host ${hostname} is not allowed`), '', 4);
        },
      },
    });
    try {
      const error = await failure(createHttpClient({ retries: 2, dispatcher: guard }).request({ url: 'http://internal.test/' }));
      expect(error.errorClass).toBe('CONFIG');
      expect(error.message).toBe('host internal.test is not allowed');
      expect(lookups).toBe(1);
    } finally {
      await guard.close();
    }
  });

  it('follows redirects for GET (relative and absolute) and reports the final URL', async () => {
    server = await startTestServer((req, res) => {
      if (req.url === '/old') {
        res.writeHead(301, { location: '/newer' });
        res.end();
      } else if (req.url === '/newer') {
        res.writeHead(302, { location: `${server?.url}/final?x=1` });
        res.end();
      } else {
        res.end('here');
      }
    });
    const response = await createHttpClient().request({ url: `${server.url}/old`, headers: { authorization: 'Bearer t' } });
    expect(response.text()).toBe('here');
    expect(response.url).toBe(`${server.url}/final?x=1`);
    expect(server.requests.map((r) => r.url)).toEqual(['/old', '/newer', '/final?x=1']);
    // Same origin: credentials kept.
    expect(server.requests[2].headers.authorization).toBe('Bearer t');
  });

  it('drops credentials on a redirect to another origin', async () => {
    const other = await startTestServer((_req, res) => {
      res.end('other');
    });
    try {
      server = await startTestServer((_req, res) => {
        res.writeHead(307, { location: `${other.url}/landing` });
        res.end();
      });
      const response = await createHttpClient().request({
        url: server.url,
        headers: { Authorization: 'Bearer t', 'X-Api-Key': 'k', Accept: 'text/plain' },
      });
      expect(response.text()).toBe('other');
      expect(other.requests[0].headers.authorization).toBeUndefined();
      expect(other.requests[0].headers['x-api-key']).toBeUndefined();
      expect(other.requests[0].headers.accept).toBe('text/plain');
    } finally {
      await other.close();
    }
  });

  it('stops after 5 redirects with CONFIG', async () => {
    server = await startTestServer((req, res) => {
      res.writeHead(302, { location: `/r${Number(req.url?.slice(2) || 0) + 1}` });
      res.end();
    });
    const error = await failure(createHttpClient().request({ url: `${server.url}/r0` }));
    expect(error.errorClass).toBe('CONFIG');
    expect(error.message).toContain('too many redirects');
    expect(server.requests).toHaveLength(6);
  });

  it('does not follow a redirect for POST', async () => {
    server = await startTestServer((_req, res) => {
      res.writeHead(302, { location: '/elsewhere' });
      res.end();
    });
    const error = await failure(createHttpClient().request({ url: server.url, method: 'POST', body: 'x' }));
    expect(error.errorClass).toBe('CONFIG');
    expect(error.message).toContain('redirect not followed for POST');
    expect(server.requests).toHaveLength(1);
  });

  it('cancels promptly when the caller aborts, with the signal reason', async () => {
    server = await startTestServer(async (_req, res) => {
      await wait(5_000);
      res.end();
    });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const error = await failure(createHttpClient({ timeoutMs: 10_000 }).request({ url: server.url }, controller.signal));
    expect((error as Error).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(server.requests).toHaveLength(1);
  });

  it('never retries after the caller aborted during the backoff wait', async () => {
    server = await startTestServer((_req, res) => {
      res.writeHead(503, { 'retry-after': '5' });
      res.end();
    });
    const controller = new AbortController();
    const started = Date.now();
    const pending = createHttpClient({ retries: 3 }).request({ url: server.url }, controller.signal);
    setTimeout(() => controller.abort(new Error('run cancelled')), 200);
    const error = await failure(pending);
    expect((error as Error).message).toBe('run cancelled');
    expect(Date.now() - started).toBeLessThan(1_500);
    await wait(100);
    expect(server.requests).toHaveLength(1);
  });

  it('rejects at once with an already aborted signal', async () => {
    server = await startTestServer((_req, res) => {
      res.end();
    });
    const controller = new AbortController();
    controller.abort();
    const error = await failure(createHttpClient().request({ url: server.url }, controller.signal));
    expect((error as Error).name).toBe('AbortError');
    expect(server.requests).toHaveLength(0);
  });

  it('reports malformed JSON as BAD_PAYLOAD', async () => {
    server = await startTestServer((_req, res) => {
      res.end('{"items": [1, 2,');
    });
    const response = await createHttpClient().request({ url: server.url });
    expect(() => response.json()).toThrow(ConnectorError);
    try {
      response.json();
    } catch (error) {
      expect((error as ConnectorError).errorClass).toBe('BAD_PAYLOAD');
      expect((error as ConnectorError).message).toMatch(/^malformed JSON: /);
    }
  });

  it('parses JSON with a UTF-8 BOM', async () => {
    server = await startTestServer((_req, res) => {
      res.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":"Nghệ An"}')]));
    });
    const response = await createHttpClient().request({ url: server.url });
    expect(response.json()).toEqual({ a: 'Nghệ An' });
  });

  it('rejects unsupported URL schemes as CONFIG without a request', async () => {
    const error = await failure(createHttpClient().request({ url: 'file:///etc/passwd' }));
    expect(error.errorClass).toBe('CONFIG');
  });

  it('sends HEAD without reading a body and ignores its Content-Length', async () => {
    server = await startTestServer((_req, res) => {
      res.writeHead(200, { 'content-length': '999999' });
      res.end();
    });
    const response = await createHttpClient({ maxBytes: 10 }).request({ url: server.url, method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.body.length).toBe(0);
  });
});

describe('withRetries and backoffDelay', () => {
  it('grows exponentially with full jitter and a 5 s cap', () => {
    expect(backoffDelay(1, { random: () => 0.999 })).toBe(199);
    expect(backoffDelay(2, { random: () => 0.999 })).toBe(399);
    expect(backoffDelay(3, { random: () => 0.5 })).toBe(400);
    expect(backoffDelay(10, { random: () => 0.999 })).toBe(4995);
    expect(backoffDelay(50, { random: () => 0 })).toBe(0);
  });

  it('retries only retryable errors, up to the limit', async () => {
    let calls = 0;
    const retried = await withRetries(
      async (attempt) => {
        calls++;
        if (attempt < 2) throw new ConnectorError('TIMEOUT', 'slow');
        return 'done';
      },
      { retries: 2, baseMs: 1 },
    );
    expect(retried).toBe('done');
    expect(calls).toBe(3);

    calls = 0;
    await expect(
      withRetries(
        async () => {
          calls++;
          throw new ConnectorError('BAD_PAYLOAD', 'broken');
        },
        { retries: 5, baseMs: 1 },
      ),
    ).rejects.toThrow('broken');
    expect(calls).toBe(1);
  });

  it('waits for retryAfterMs, capped', async () => {
    const delays: number[] = [];
    let calls = 0;
    await withRetries(
      async () => {
        if (calls++ === 0) throw new HttpStatusError(429, 'SOURCE_UNAVAILABLE', 'busy', 60_000);
        return 1;
      },
      { retries: 1, capMs: 50, onRetry: ({ delayMs }) => delays.push(delayMs) },
    );
    expect(delays).toEqual([50]);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('createHttpClient: bodies as the source meant them', () => {
  const document = JSON.stringify({ data: [{ commune: 'Xã Nghi Phú', visits: 12 }] });

  it.each([
    ['gzip', zlib.gzipSync(document)],
    ['deflate', zlib.deflateSync(document)],
    ['br', zlib.brotliCompressSync(document)],
  ])('decompresses a body sent with Content-Encoding: %s', async (coding, body) => {
    server = await startTestServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': coding });
      res.end(body);
    });
    const response = await createHttpClient().request({ url: server.url });
    expect(response.json()).toEqual(JSON.parse(document));
  });

  it('names Content-Encoding when a gzip body is not labelled, or labelled with a coding it is not', async () => {
    server = await startTestServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', ...(req.url === '/wrong' ? { 'content-encoding': 'identity' } : req.url === '/bad' ? { 'content-encoding': 'gzip' } : req.url === '/zstd' ? { 'content-encoding': 'zstd' } : {}) });
      res.end(req.url === '/bad' ? Buffer.from('not gzip at all') : zlib.gzipSync(document));
    });
    const client = createHttpClient({ retries: 0 });
    const missing = await failure(client.request({ url: `${server.url}/none` }));
    expect(missing.errorClass).toBe('BAD_PAYLOAD');
    expect(missing.message).toContain('is gzip-compressed but it has no Content-Encoding header');
    expect(missing.message).toMatch(/^Dữ liệu từ .* được nén gzip/);
    expect((await failure(client.request({ url: `${server.url}/wrong` }))).message).toContain('its Content-Encoding says "identity"');
    expect((await failure(client.request({ url: `${server.url}/bad` }))).message).toContain('says Content-Encoding "gzip" but its body is not valid gzip');
    expect((await failure(client.request({ url: `${server.url}/zstd` }))).message).toContain('Content-Encoding "zstd", which the hub cannot decode');
  });

  it('stops a compressed body that inflates past the size limit', async () => {
    server = await startTestServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(zlib.gzipSync(Buffer.alloc(5_000_000, 0x20)));
    });
    const error = await failure(createHttpClient({ maxBytes: 1_000_000 }).request({ url: server.url }));
    expect(error.errorClass).toBe('BAD_PAYLOAD');
    expect(error.message).toContain('larger than 1000000 bytes');
  });
});
