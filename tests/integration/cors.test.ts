/**
 * CORS over a real port: preflights and answers for the origins of CORS_ORIGINS (an exact origin and a
 * `https://*.domain` pattern) on /graphql, the push endpoint, the exports and the reports; nothing for other
 * origins, whose preflights do not count as failed authentications either.
 */
import http from 'node:http';
import { QUIET_BACKGROUND, startTestHub, TEST_ADMIN_KEY, type TestHub } from '../helpers/test-hub';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const DASHBOARD = 'http://localhost:5173';
const PROVINCE_SITE = 'https://ops.nghean.gov.vn';
const SERIES = '/export/series?metrics=KCB_BIOMETRIC_VISITS&from=2024-01&to=2024-02&granularity=MONTH';

function send(base: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${base}${path}`, { method: options.method ?? 'GET', headers: options.headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

const preflight = (base: string, path: string, origin: string, method = 'POST', requestHeaders = 'authorization,content-type') =>
  send(base, path, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': requestHeaders } });

const listOf = (header: string | string[] | undefined) =>
  String(header ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== '');

describe('CORS', () => {
  let hub: TestHub;
  let base: string;
  const graphqlBody = JSON.stringify({ query: '{ program(code: "DA06") { code } }' });
  const withKey = (origin: string) => ({ origin, authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' });

  beforeAll(async () => {
    hub = await startTestHub({
      environment: {
        ...QUIET_BACKGROUND,
        CORS_ORIGINS: `${DASHBOARD}, https://*.nghean.gov.vn`,
        RATE_LIMIT_PER_MINUTE: '1000',
        RATE_LIMIT_AUTH_FAILURES: '3',
      },
    });
    base = new URL(hub.hub.url).origin;
  });
  afterAll(() => hub?.close());

  it.each([DASHBOARD, PROVINCE_SITE])('answers a preflight of %s with what a Bearer-key client needs', async (origin) => {
    for (const path of ['/graphql', '/ingest/1', SERIES, '/reports/progress.csv?asOf=2024-03-31']) {
      const answer = await preflight(base, path, origin, path.startsWith('/ingest') ? 'POST' : 'GET', 'authorization,content-type,content-encoding,x-request-id');
      expect(answer.status).toBe(204);
      expect(answer.headers['access-control-allow-origin']).toBe(origin);
      expect(listOf(answer.headers['access-control-allow-methods'])).toEqual(expect.arrayContaining(['get', 'post']));
      expect(listOf(answer.headers['access-control-allow-headers'])).toEqual(
        expect.arrayContaining(['authorization', 'content-type', 'content-encoding', 'x-request-id', 'apollo-require-preflight']),
      );
      expect(answer.headers['access-control-max-age']).toBe('600');
      expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
      expect(listOf(answer.headers.vary)).toContain('origin');
    }
  });

  it('lets a listed origin read answers, rate-limit headers and request ids', async () => {
    const answer = await send(base, '/graphql', { method: 'POST', headers: withKey(PROVINCE_SITE), body: graphqlBody });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ data: { program: { code: 'DA06' } } });
    expect(answer.headers['access-control-allow-origin']).toBe(PROVINCE_SITE);
    expect(listOf(answer.headers['access-control-expose-headers'])).toEqual(
      expect.arrayContaining(['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after', 'x-request-id', 'content-disposition']),
    );
    expect(answer.headers['ratelimit-remaining']).toBeDefined();

    const download = await send(base, SERIES, { headers: withKey(DASHBOARD) });
    expect(download.status).toBe(200);
    expect(download.headers['access-control-allow-origin']).toBe(DASHBOARD);
    expect(download.headers['content-disposition']).toContain('attachment');
  });

  it('lets a listed origin read a refusal (401 without a key)', async () => {
    const answer = await send(base, '/graphql', { method: 'POST', headers: { origin: DASHBOARD, 'content-type': 'application/json' }, body: graphqlBody });
    expect(answer.status).toBe(401);
    expect(answer.headers['access-control-allow-origin']).toBe(DASHBOARD);
    expect(JSON.parse(answer.body).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it.each(['https://evil.example', 'http://ops.nghean.gov.vn', 'https://nghean.gov.vn', 'https://ops.nghean.gov.vn.evil.example', 'http://localhost:5174', 'null'])(
    'gives %s nothing',
    async (origin) => {
      const answer = await preflight(base, '/graphql', origin);
      expect(answer.status).toBe(204);
      expect(Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
      const request = await send(base, '/graphql', { method: 'POST', headers: withKey(origin), body: graphqlBody });
      // Without Access-Control-Allow-Origin a browser hides the answer from the page.
      expect(request.headers['access-control-allow-origin']).toBeUndefined();
      expect(request.headers['access-control-expose-headers']).toBeUndefined();
    },
  );

  it('does not count preflights as failed authentications of the address', async () => {
    for (let i = 0; i < 10; i++) {
      expect((await preflight(base, '/graphql', 'https://evil.example')).status).toBe(204);
      expect((await preflight(base, '/graphql', DASHBOARD)).status).toBe(204);
    }
    const answer = await send(base, '/graphql', { method: 'POST', headers: withKey(DASHBOARD), body: graphqlBody });
    expect(answer.status).toBe(200);
  });

  it('answers no CORS header to requests without Origin (same-origin and server-side clients)', async () => {
    const answer = await send(base, '/graphql', { method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' }, body: graphqlBody });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  });
});
