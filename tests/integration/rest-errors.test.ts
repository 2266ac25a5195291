/**
 * The REST endpoints (POST /ingest/<id>, /export/*, /reports/progress.*) answer every refusal in the one
 * GraphQL-shaped form, `{"errors":[{"message","extensions":{"code",…}}]}`, with the HTTP status of its code, and
 * a database that cannot be reached with 503 SERVICE_UNAVAILABLE: the push endpoint included.
 */
import { dataOf } from '../helpers/api';
import { createKey, TEST_JWT, tokenHeaders } from '../helpers/auth';
import { QUIET_BACKGROUND, startTestHub, type TestHub } from '../helpers/test-hub';
import { Role } from '../../src/security/principal';

const STATUS: Record<string, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  SERVICE_UNAVAILABLE: 503,
};
const SERIES = '/export/series?metrics=KCB_BIOMETRIC_VISITS&from=2024-01&to=2024-02&granularity=MONTH';
const ROW = { metric: 'KCB_BIOMETRIC_VISITS', unit: '413', period: '2024-05-01', value: 1 };

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

describe('REST endpoints: one error shape and status mapping', () => {
  let hub: TestHub;
  let base: string;
  let pushId: string;
  let disabledId: string;
  let viewer: Record<string, string>;

  const register = async (name: string, config: Record<string, unknown> = {}) =>
    (
      await dataOf<{ registerConnector: { id: string } }>(hub, 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }', {
        input: { name, kind: 'push', department: 'SO_YT', config },
      })
    ).registerConnector.id;

  async function send(method: string, path: string, options: { headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
    const response = await fetch(`${base}${path}`, { method, headers: options.headers, body: options.body });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: the assertion on the body says so.
    }
    return { status: response.status, headers: response.headers, body };
  }

  /** The one error shape: exactly one error, its code, and the status of that code. */
  function expectRefusal(answer: Answer, code: string, extensions: Record<string, unknown> = {}) {
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: STATUS[code],
      body: { errors: [{ message: expect.any(String), extensions: { code, ...extensions } }] },
    });
  }

  beforeAll(async () => {
    hub = await startTestHub({ environment: { ...TEST_JWT, ...QUIET_BACKGROUND } });
    base = hub.hub.url.replace(/\/graphql$/, '');
    pushId = await register('REST errors push', { maxRowsPerPush: 2 });
    disabledId = await register('REST errors disabled');
    await dataOf(hub, `mutation { setConnectorEnabled(id: "${disabledId}", enabled: false) { enabled } }`);
    viewer = (await createKey(hub, Role.VIEWER, [], 'REST errors viewer')).headers;
  });

  afterAll(async () => {
    await hub?.close();
  });

  it('refusals of the push, the exports and the reports share the shape, their status following from the code', async () => {
    const admin = hub.headers;
    const json = { 'content-type': 'application/json' };
    const cases: Array<[string, string, { headers?: Record<string, string>; body?: string }, string, Record<string, unknown>?]> = [
      ['POST', `/ingest/${pushId}`, { headers: json, body: '[]' }, 'UNAUTHENTICATED'],
      ['GET', SERIES, {}, 'UNAUTHENTICATED'],
      ['GET', '/reports/progress.csv?period=2024-Q1', {}, 'UNAUTHENTICATED'],
      ['POST', `/ingest/${pushId}`, { headers: { ...viewer, ...json }, body: '[]' }, 'FORBIDDEN'],
      ['GET', SERIES, { headers: viewer }, 'FORBIDDEN'],
      ['GET', '/reports/progress.md?period=2024-Q1', { headers: viewer }, 'FORBIDDEN'],
      ['POST', '/ingest/999999', { headers: { ...admin, ...json }, body: '[]' }, 'NOT_FOUND'],
      ['GET', '/reports/progress.pdf?period=2024-Q1', { headers: admin }, 'NOT_FOUND'],
      ['GET', '/export/nothing', { headers: admin }, 'NOT_FOUND'],
      ['POST', '/ingest/abc', { headers: { ...admin, ...json }, body: '[]' }, 'BAD_USER_INPUT', { field: 'connectorId' }],
      ['POST', `/ingest/${pushId}`, { headers: { ...admin, ...json }, body: '{"rows": [' }, 'BAD_USER_INPUT', { field: 'body' }],
      ['POST', `/ingest/${pushId}`, { headers: { ...admin, ...json }, body: JSON.stringify([ROW, ROW, ROW]) }, 'PAYLOAD_TOO_LARGE', { field: 'rows' }],
      ['POST', `/ingest/${pushId}`, { headers: { ...admin, 'content-type': 'text/html' }, body: '<p>' }, 'UNSUPPORTED_MEDIA_TYPE', { field: 'body' }],
      ['POST', `/ingest/${disabledId}`, { headers: { ...admin, ...json }, body: '[]' }, 'CONFLICT'],
      ['GET', '/export/series?metric=KCB_BIOMETRIC_VISITS', { headers: admin }, 'BAD_USER_INPUT', { field: 'metric' }],
      ['POST', '/export/series', { headers: { ...admin, ...json }, body: '{"metrics": [' }, 'BAD_USER_INPUT', { field: 'body' }],
      ['POST', '/export/series', { headers: { ...admin, ...json }, body: JSON.stringify({ metrics: ['x'.repeat(300_000)] }) }, 'PAYLOAD_TOO_LARGE', { field: 'body' }],
      ['GET', '/reports/progress.csv', { headers: admin }, 'BAD_USER_INPUT', { field: 'period' }],
    ];
    for (const [method, path, options, code, extensions] of cases) {
      const answer = await send(method, path, options);
      expect({ method, path, answer: { status: answer.status, body: answer.body } }).toMatchObject({ method, path, answer: { status: STATUS[code] } });
      expectRefusal(answer, code, extensions);
    }
    // A GraphQL error of an export (a granularity the metric does not have) keeps GraphQL's own extensions.
    const granularity = await send('GET', SERIES.replace('MONTH', 'DAY').replace('KCB_BIOMETRIC_VISITS', 'DVC_ONLINE_RATE'), { headers: admin });
    expect(granularity.status).toBe(400);
    expect(granularity.body).toMatchObject({ errors: [{ message: expect.stringMatching(/^granularity: /), extensions: { code: 'BAD_USER_INPUT' } }] });
    expect(granularity.body).not.toHaveProperty('error');
    // And a push within the limits is still answered with its summary.
    const accepted = await send('POST', `/ingest/${pushId}`, { headers: { ...admin, ...json }, body: JSON.stringify([ROW]) });
    expect(accepted).toMatchObject({ status: 200, body: { summary: { fetched: 1, imported: 1, rejected: 0 } } });
  });

  it('answers 503 SERVICE_UNAVAILABLE (Retry-After) once the database is gone: push, export and report alike', async () => {
    // An administrator signed on with a token: recognised without the database, so each request reaches its endpoint.
    const signedOn = { ...(await tokenHeaders({ pilothub_role: 'ADMIN', name: 'Quản trị viên' })), 'content-type': 'application/json' };
    expect((await send('POST', `/ingest/${pushId}`, { headers: signedOn, body: JSON.stringify([ROW]) })).status).toBe(200);
    await hub.dataSource.destroy();
    const answers = [
      await send('POST', `/ingest/${pushId}`, { headers: signedOn, body: JSON.stringify([ROW]) }),
      await send('GET', SERIES, { headers: signedOn }),
      await send('GET', '/reports/progress.csv?period=2024-Q1', { headers: signedOn }),
    ];
    for (const answer of answers) {
      expectRefusal(answer, 'SERVICE_UNAVAILABLE');
      const message = (answer.body as { errors: Array<{ message: string }> }).errors[0].message;
      expect(message).not.toMatch(/SELECT|INSERT|ECONN|Pool|connection is not open|\.ts:\d+/);
    }
    expect(answers[0].headers.get('retry-after')).toBe('5');
    expect(answers[2].headers.get('retry-after')).toBe('5');
  });
});
