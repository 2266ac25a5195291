import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConnectorError } from '../sdk/contract';
import { collect, startTestServer, testContext, type TestServer } from '../sdk/testing';
import { httpJsonConfigSchema, httpJsonConnector, type HttpJsonConfig } from './http-json.connector';

const fixture = (name: string): string => fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8');
const RECORDS = JSON.parse(fixture('cong-chung.json')) as Record<string, unknown>[];
const WINDOW = { from: '2024-03-01', to: '2024-03-31' };

let server: TestServer;
afterEach(async () => {
  await server?.close();
  server = undefined as unknown as TestServer;
});

function sendJson(res: ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

const params = (req: IncomingMessage): URLSearchParams => new URL(req.url ?? '/', 'http://x').searchParams;
const sentQueries = (): URLSearchParams[] => server.requests.map((r) => new URL(r.url, 'http://x').searchParams);

function parse(config: unknown): HttpJsonConfig {
  return httpJsonConfigSchema.parse(config);
}

/** Paths of the issues a config raises, e.g. ['pagination.pageParam']. */
function issuePaths(config: unknown): string[] {
  const result = httpJsonConfigSchema.safeParse(config);
  if (result.success) return [];
  return result.error.issues.map((issue) => issue.path.join('.'));
}

function issueMessages(config: unknown): string[] {
  const result = httpJsonConfigSchema.safeParse(config);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

async function readError(config: unknown, context = testContext()): Promise<ConnectorError> {
  try {
    await collect(httpJsonConnector, config, WINDOW, undefined, context);
  } catch (error) {
    return error as ConnectorError;
  }
  throw new Error('expected read() to fail');
}

describe('http-json pagination', () => {
  it('none: one request, one batch, records at the top level', async () => {
    server = await startTestServer((_req, res) => sendJson(res, RECORDS));
    const result = await collect(httpJsonConnector, { url: `${server.url}/api` }, WINDOW, undefined, testContext());
    expect(result.records).toEqual(RECORDS);
    expect(result.batchSizes).toEqual([7]);
    expect(result.state).toEqual({ lastWindowTo: '2024-03-31' });
    expect(server.requests).toHaveLength(1);
  });

  it('page with size: walks every page and stops on the short page', async () => {
    server = await startTestServer((req, res) => {
      const page = Number(params(req).get('trang'));
      const size = Number(params(req).get('so_ban_ghi'));
      sendJson(res, { data: { items: RECORDS.slice((page - 1) * size, page * size) } });
    });
    const config = {
      url: `${server.url}/api/cong-chung`,
      recordsPath: 'data.items',
      pagination: { type: 'page', pageParam: 'trang', sizeParam: 'so_ban_ghi', size: 3 },
    };
    const result = await collect(httpJsonConnector, config, WINDOW, undefined, testContext());
    expect(result.records).toEqual(RECORDS);
    expect(result.batchSizes).toEqual([3, 3, 1]);
    expect(sentQueries().map((q) => q.get('trang'))).toEqual(['1', '2', '3']);
    expect(sentQueries().every((q) => q.get('so_ban_ghi') === '3')).toBe(true);
  });

  it('page without size: stops on the empty page; startAt 0', async () => {
    server = await startTestServer((req, res) => {
      const page = Number(params(req).get('page'));
      sendJson(res, RECORDS.slice(page * 4, page * 4 + 4));
    });
    const config = { url: server.url, pagination: { type: 'page', pageParam: 'page', startAt: 0 } };
    const result = await collect(httpJsonConnector, config, WINDOW, undefined, testContext());
    expect(result.records).toEqual(RECORDS);
    expect(result.batchSizes).toEqual([4, 3, 0]);
    expect(sentQueries().map((q) => q.get('page'))).toEqual(['0', '1', '2']);
    expect(result.state).toEqual({ lastWindowTo: '2024-03-31' });
  });

  it('offset: walks by the records received, stopping on a short page', async () => {
    server = await startTestServer((req, res) => {
      const offset = Number(params(req).get('offset'));
      const limit = Number(params(req).get('limit'));
      sendJson(res, { rows: RECORDS.slice(offset, offset + limit), total: RECORDS.length });
    });
    const config = { url: server.url, recordsPath: 'rows', pagination: { type: 'offset', offsetParam: 'offset', limitParam: 'limit', limit: 2 } };
    const result = await collect(httpJsonConnector, config, WINDOW, undefined, testContext());
    expect(result.records).toEqual(RECORDS);
    expect(result.batchSizes).toEqual([2, 2, 2, 1]);
    expect(sentQueries().map((q) => q.get('offset'))).toEqual(['0', '2', '4', '6']);
  });

  it('offset: an exact multiple ends with an empty page', async () => {
    server = await startTestServer((req, res) => {
      const offset = Number(params(req).get('skip'));
      sendJson(res, RECORDS.slice(0, 6).slice(offset, offset + 3));
    });
    const config = { url: server.url, pagination: { type: 'offset', offsetParam: 'skip', limitParam: 'take', limit: 3 } };
    const result = await collect(httpJsonConnector, config, WINDOW, undefined, testContext());
    expect(result.batchSizes).toEqual([3, 3, 0]);
  });

  it('cursor: follows the cursor from the body until it is null', async () => {
    server = await startTestServer((req, res) => {
      const cursor = params(req).get('after');
      const start = cursor === null ? 0 : Number(cursor.replace('c', ''));
      const end = start + 3;
      sendJson(res, { results: RECORDS.slice(start, end), meta: { next: end < RECORDS.length ? `c${end}` : null } });
    });
    const config = { url: server.url, recordsPath: 'results', pagination: { type: 'cursor', cursorParam: 'after', cursorPath: 'meta.next' } };
    const result = await collect(httpJsonConnector, config, WINDOW, undefined, testContext());
    expect(result.records).toEqual(RECORDS);
    expect(sentQueries().map((q) => q.get('after'))).toEqual([null, 'c3', 'c6']);
  });

  it('cursor: stops when the cursor is absent, and refuses a repeated cursor', async () => {
    server = await startTestServer((req, res) => {
      if (params(req).get('cursor') === null) sendJson(res, { items: RECORDS.slice(0, 2), next: 'same' });
      else if (req.url?.includes('loop')) sendJson(res, { items: [], next: 'same' });
      else sendJson(res, { items: RECORDS.slice(2) });
    });
    const ok = await collect(
      httpJsonConnector,
      { url: server.url, recordsPath: 'items', pagination: { type: 'cursor', cursorParam: 'cursor', cursorPath: 'next' } },
      WINDOW,
      undefined,
      testContext(),
    );
    expect(ok.records).toEqual(RECORDS);

    const error = await readError({
      url: `${server.url}/loop`,
      recordsPath: 'items',
      pagination: { type: 'cursor', cursorParam: 'cursor', cursorPath: 'next' },
    });
    expect(error.errorClass).toBe('BAD_PAYLOAD');
    expect(error.message).toContain('the source repeated cursor same');
    expect(error.message).not.toContain('maxPages =');
  });

  it('nextLink: follows relative and absolute links from the body, keeping the headers', async () => {
    server = await startTestServer((req, res) => {
      const url = new URL(req.url ?? '/', server.url);
      if (url.pathname === '/v1/items') sendJson(res, { value: RECORDS.slice(0, 3), links: { next: '/v1/items/p2?token=abc' } });
      else if (url.pathname === '/v1/items/p2') sendJson(res, { value: RECORDS.slice(3, 6), links: { next: `${server.url}/v1/items/p3` } });
      else sendJson(res, { value: RECORDS.slice(6), links: { next: null } });
    });
    const config = {
      url: `${server.url}/v1/items`,
      query: { tu: '{{from}}' },
      headers: { Authorization: 'Bearer {{secret:token}}' },
      recordsPath: 'value',
      pagination: { type: 'nextLink', nextPath: 'links.next' },
    };
    const result = await collect(httpJsonConnector, config, WINDOW, undefined, testContext({ secrets: { token: 'tk-1' } }));
    expect(result.records).toEqual(RECORDS);
    expect(server.requests.map((r) => r.url)).toEqual(['/v1/items?tu=2024-03-01', '/v1/items/p2?token=abc', '/v1/items/p3']);
    expect(server.requests.every((r) => r.headers.authorization === 'Bearer tk-1')).toBe(true);
  });

  it('nextLink: refuses a link to another origin (headers may carry secrets)', async () => {
    server = await startTestServer((_req, res) => sendJson(res, { value: [], next: 'http://evil.example/steal' }));
    const error = await readError({ url: server.url, recordsPath: 'value', pagination: { type: 'nextLink', nextPath: 'next' } });
    expect(error.errorClass).toBe('BAD_PAYLOAD');
    expect(error.message).toContain('leaves');
    expect(server.requests).toHaveLength(1);
  });

  it('maxPages stops a source that never ends, after yielding its pages', async () => {
    // Every page is a new one (a repeated page is a loop, named as such: see below).
    server = await startTestServer((req, res) => sendJson(res, [{ ...RECORDS[0], page: params(req).get('p') }]));
    const context = testContext();
    const config = parse({ url: server.url, pagination: { type: 'page', pageParam: 'p', maxPages: 4 } });
    const seen: number[] = [];
    let failure: unknown;
    try {
      for await (const batch of httpJsonConnector.read(config, WINDOW, undefined, context)) seen.push(batch.records.length);
    } catch (error) {
      failure = error;
    }
    expect(seen).toEqual([1, 1, 1, 1]);
    expect(failure).toBeInstanceOf(ConnectorError);
    expect((failure as ConnectorError).errorClass).toBe('CONFIG');
    expect((failure as ConnectorError).message).toContain('pagination.maxPages = 4');
    expect(server.requests).toHaveLength(4);
  });

  it('only the last batch carries the state', async () => {
    server = await startTestServer((req, res) => sendJson(res, Number(params(req).get('p')) < 3 ? [RECORDS[Number(params(req).get('p'))]] : []));
    const config = parse({ url: server.url, pagination: { type: 'page', pageParam: 'p' } });
    const states: unknown[] = [];
    for await (const batch of httpJsonConnector.read(config, WINDOW, undefined, testContext())) states.push(batch.state);
    expect(states).toEqual([undefined, undefined, { lastWindowTo: '2024-03-31' }]);
  });
});

describe('http-json placeholders and secrets', () => {
  it('fills {{from}}/{{to}} in the query in the configured date format and secrets in headers', async () => {
    server = await startTestServer((_req, res) => sendJson(res, []));
    const config = {
      url: `${server.url}/api?fixed=1`,
      headers: { Authorization: 'Bearer {{secret:token}}', 'X-Api-Key': '{{secret:apiKey}}', 'X-Range': '{{from}}..{{to}}' },
      query: { tuNgay: '{{from}}', denNgay: '{{ to }}', loai: 'cong-chung', limit: 100, all: true },
      dateFormat: 'DD/MM/YYYY',
    };
    const context = testContext({ secrets: { token: 'abc.def', apiKey: 'k-123' } });
    await collect(httpJsonConnector, config, { from: '2024-03-01', to: '2024-03-31' }, undefined, context);
    const request = server.requests[0];
    const query = sentQueries()[0];
    expect(query.get('fixed')).toBe('1');
    expect(query.get('tuNgay')).toBe('01/03/2024');
    expect(query.get('denNgay')).toBe('31/03/2024');
    expect(query.get('loai')).toBe('cong-chung');
    expect(query.get('limit')).toBe('100');
    expect(query.get('all')).toBe('true');
    expect(request.headers.authorization).toBe('Bearer abc.def');
    expect(request.headers['x-api-key']).toBe('k-123');
    expect(request.headers['x-range']).toBe('01/03/2024..31/03/2024');
    expect(request.headers.accept).toBe('application/json');
  });

  it('YYYYMMDD dates', async () => {
    server = await startTestServer((_req, res) => sendJson(res, []));
    await collect(httpJsonConnector, { url: server.url, query: { p: '{{from}}-{{to}}' }, dateFormat: 'YYYYMMDD' }, WINDOW, undefined, testContext());
    expect(sentQueries()[0].get('p')).toBe('20240301-20240331');
  });

  it('a secret that is not set is a CONFIG error, before any request', async () => {
    server = await startTestServer((_req, res) => sendJson(res, []));
    const error = await readError({ url: server.url, headers: { Authorization: 'Bearer {{secret:token}}' } });
    expect(error.errorClass).toBe('CONFIG');
    expect(error.message).toContain('secret "token" is not set');
    expect(server.requests).toHaveLength(0);
  });

  it('POST sends the JSON body with dates filled', async () => {
    let received = '';
    server = await startTestServer(async (req, res) => {
      for await (const chunk of req) received += String(chunk);
      sendJson(res, { data: RECORDS.slice(0, 2) });
    });
    const config = { url: server.url, method: 'POST', body: { khoang: { tu: '{{from}}', den: '{{to}}' }, don_vi: ['PCC01'] }, recordsPath: 'data' };
    const result = await collect(httpJsonConnector, config, WINDOW, undefined, testContext());
    expect(result.records).toHaveLength(2);
    expect(JSON.parse(received)).toEqual({ khoang: { tu: '2024-03-01', den: '2024-03-31' }, don_vi: ['PCC01'] });
    expect(server.requests[0].method).toBe('POST');
    expect(server.requests[0].headers['content-type']).toBe('application/json');
  });
});

describe('http-json payload errors', () => {
  it('recordsPath pointing at an object is BAD_PAYLOAD naming the path', async () => {
    server = await startTestServer((_req, res) => {
      res.end(fixture('envelope-not-array.json'));
    });
    const error = await readError({ url: server.url, recordsPath: 'data.items' });
    expect(error.errorClass).toBe('BAD_PAYLOAD');
    expect(error.message).toBe('expected an array of records at recordsPath "data.items", found an object');
  });

  it('an absent recordsPath is BAD_PAYLOAD naming the path', async () => {
    server = await startTestServer((_req, res) => {
      res.end(fixture('envelope-not-array.json'));
    });
    const error = await readError({ url: server.url, recordsPath: 'data.rows' });
    expect(error.message).toBe('expected an array of records at recordsPath "data.rows", found nothing');
  });

  it('a top-level object when recordsPath is empty', async () => {
    server = await startTestServer((_req, res) => {
      res.end(fixture('envelope-not-array.json'));
    });
    const error = await readError({ url: server.url });
    expect(error.message).toBe('expected an array of records at the top level of the body, found an object');
  });

  it('an element that is not an object', async () => {
    server = await startTestServer((_req, res) => {
      res.end(fixture('envelope-scalar-items.json'));
    });
    const error = await readError({ url: server.url, recordsPath: 'data.items' });
    expect(error.errorClass).toBe('BAD_PAYLOAD');
    expect(error.message).toContain('record 1 at recordsPath "data.items" is a number');
  });

  it('malformed JSON', async () => {
    server = await startTestServer((_req, res) => {
      res.end('<html>Bảo trì hệ thống</html>');
    });
    const error = await readError({ url: server.url });
    expect(error.errorClass).toBe('BAD_PAYLOAD');
    expect(error.message).toMatch(/^malformed JSON/);
  });

  it('401 is CONFIG and not retried', async () => {
    server = await startTestServer((_req, res) => sendJson(res, { error: 'invalid token' }, 401));
    const error = await readError({ url: server.url });
    expect(error.errorClass).toBe('CONFIG');
    expect(error.message).toContain('HTTP 401');
    expect(server.requests).toHaveLength(1);
  });
});

describe('http-json configuration', () => {
  it('fills the defaults', () => {
    expect(parse({ url: 'https://api.example.vn/v1/items' })).toEqual({
      url: 'https://api.example.vn/v1/items',
      method: 'GET',
      dateFormat: 'YYYY-MM-DD',
      recordsPath: '',
      pagination: { type: 'none' },
    });
    expect(parse({ url: 'http://x.vn', pagination: { type: 'page', pageParam: 'p' } }).pagination).toEqual({
      type: 'page',
      pageParam: 'p',
      startAt: 1,
      maxPages: 1000,
    });
  });

  it('names the field of each error', () => {
    expect(issuePaths({ url: 'http://x.vn', pagination: { type: 'page' } })).toEqual(['pagination.pageParam']);
    expect(issuePaths({ url: 'http://x.vn', pagination: { type: 'offset', offsetParam: 'o', limitParam: 'l' } })).toEqual(['pagination.limit']);
    expect(issuePaths({ url: 'http://x.vn', pagination: { type: 'cursor', cursorParam: 'c', cursorPath: 'a..b' } })).toEqual(['pagination.cursorPath']);
    expect(issuePaths({ url: 'http://x.vn', pagination: { type: 'scroll' } })).toEqual(['pagination.type']);
    expect(issuePaths({ url: 'http://x.vn', pagination: { type: 'page', pageParam: 'p', extra: 1 } })).toEqual(['pagination']);
    expect(issuePaths({ url: 'http://x.vn', pagination: { type: 'page', pageParam: 'p', sizeParam: 's' } })).toEqual(['pagination.size']);
    expect(issuePaths({ url: 'http://x.vn', query: { p: 1 }, pagination: { type: 'page', pageParam: 'p' } })).toEqual(['pagination.pageParam']);
    expect(issuePaths({ url: 'ftp://x.vn/file' })).toEqual(['url']);
    expect(issuePaths({ url: 'not a url' })).toEqual(['url']);
    expect(issuePaths({})).toEqual(['url']);
    expect(issuePaths({ url: 'http://x.vn', method: 'PUT' })).toEqual(['method']);
    expect(issuePaths({ url: 'http://x.vn', dateFormat: 'MM/DD/YYYY' })).toEqual(['dateFormat']);
    expect(issuePaths({ url: 'http://x.vn', recordsPath: 'data.' })).toEqual(['recordsPath']);
    expect(issuePaths({ url: 'http://x.vn', body: { a: 1 } })).toEqual(['body']);
    expect(issuePaths({ url: 'http://x.vn', method: 'POST', body: { q: { since: '{{yesterday}}' } } })).toEqual(['body.q.since']);
    expect(issuePaths({ url: 'http://x.vn', unknownField: 1 })).toEqual(['']);
  });

  it('checks placeholders and secret names where they are used', () => {
    expect(issueMessages({ url: 'http://x.vn', headers: { Authorization: 'Bearer {{secret:jwt}}' } })).toEqual([
      'headers.Authorization: unknown secret "jwt" in {{secret:jwt}}; expected one of token, password, apiKey',
    ]);
    expect(issueMessages({ url: 'http://x.vn', query: { key: '{{secret:apiKey}}' } })).toEqual([
      'query.key: secrets may only be used in headers (found {{secret:apiKey}})',
    ]);
    expect(issuePaths({ url: 'http://x.vn', query: { since: '{{today}}' } })).toEqual(['query.since']);
    expect(issuePaths({ url: 'http://x.vn', headers: { Host: 'other' } })).toEqual(['headers.Host']);
    expect(issuePaths({ url: 'http://x.vn', headers: { 'Bad Name': 'v' } })).toEqual(['headers.Bad Name']);
    expect(issuePaths({ url: 'http://x.vn', headers: { X: 'a\r\nInjected: 1' } })).toEqual(['headers.X']);
    expect(issuePaths({ url: 'http://user:pw@x.vn' })).toEqual(['url']);
    expect(issuePaths({ url: 'http://x.vn', headers: { Authorization: 'Basic {{secret:password}}', 'X-From': '{{from}}' } })).toEqual([]);
  });

  it('exposes the kind and its secret names', () => {
    expect(httpJsonConnector.kind).toBe('http-json');
    expect(httpJsonConnector.secretNames).toEqual(['token', 'password', 'apiKey']);
  });
});

describe('http-json check and discover', () => {
  it('check reports the records of the first page', async () => {
    server = await startTestServer((_req, res) => sendJson(res, { data: RECORDS.slice(0, 3) }));
    const config = parse({ url: `${server.url}/api`, recordsPath: 'data', pagination: { type: 'page', pageParam: 'p', size: 3 } });
    const result = await httpJsonConnector.check(config, testContext());
    expect(result).toEqual({ ok: true, message: `GET ${server.url}/api answered with 3 records on the first page` });
    expect(server.requests).toHaveLength(1);
  });

  it('check never throws for an unreachable source', async () => {
    const gone = await startTestServer((_req, res) => {
      res.end();
    });
    const url = gone.url;
    await gone.close();
    server = await startTestServer((_req, res) => {
      res.end();
    });
    const result = await httpJsonConnector.check(parse({ url: `${url}/api` }), testContext({ httpOptions: { retries: 0 } }));
    expect(result.ok).toBe(false);
    expect(result.message).toContain('SOURCE_UNAVAILABLE');
    expect(result.message).toContain('connection refused');
  });

  it('check reports a wrong token and a wrong recordsPath without throwing', async () => {
    server = await startTestServer((req, res) => {
      if (req.headers.authorization !== 'Bearer good') sendJson(res, { error: 'unauthorised' }, 401);
      else sendJson(res, { data: {} });
    });
    const config = parse({ url: server.url, headers: { Authorization: 'Bearer {{secret:token}}' }, recordsPath: 'data' });
    const denied = await httpJsonConnector.check(config, testContext({ secrets: { token: 'bad' } }));
    expect(denied.ok).toBe(false);
    expect(denied.message).toContain('CONFIG: HTTP 401');
    const wrongPath = await httpJsonConnector.check(config, testContext({ secrets: { token: 'good' } }));
    expect(wrongPath.ok).toBe(false);
    expect(wrongPath.message).toContain('BAD_PAYLOAD: expected an array of records at recordsPath "data"');
  });

  it('discover lists flattened field paths and three sample records of the first page', async () => {
    server = await startTestServer((_req, res) => sendJson(res, { data: { items: RECORDS } }));
    const config = parse({ url: server.url, recordsPath: 'data.items', pagination: { type: 'page', pageParam: 'p' } });
    const streams = await httpJsonConnector.discover(config, testContext());
    expect(streams).toEqual([
      {
        name: 'data.items',
        fields: ['ma_don_vi', 'ten_don_vi', 'ngay', 'so_luot', 'kenh.truc_tuyen', 'kenh.truc_tiep', 'ghi_chu'],
        sample: RECORDS.slice(0, 3),
      },
    ]);
    expect(server.requests).toHaveLength(1);
  });
});
