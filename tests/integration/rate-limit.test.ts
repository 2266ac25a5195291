/**
 * Rate limits on a real hub: GraphQL and the push endpoint share a caller's allowance, health, readiness and
 * metrics are never limited, a refused request does nothing (no audit record), another caller is unaffected,
 * and a caller gets in again once the window is over.
 */
import { ApiKeyService } from '../../src/security/api-key.service';
import { AuditEvent } from '../../src/security/audit-event.entity';
import { Role } from '../../src/security/principal';
import { sendRaw, type RawAnswer } from '../helpers/api';
import { startTestHub, type TestHub } from '../helpers/test-hub';

/** A request as the test administrator, or with the given headers (another caller's key). */
function request(hub: TestHub, method: string, path: string, options: { body?: string; contentType?: string; headers?: Record<string, string> } = {}): Promise<RawAnswer> {
  const headers = { ...(options.headers ?? hub.headers), ...(options.body !== undefined ? { 'content-type': options.contentType ?? 'application/json' } : {}) };
  return sendRaw(hub.hub.port, method, path, { body: options.body, headers });
}

const graphql = (hub: TestHub, query: string, headers?: Record<string, string>) => request(hub, 'POST', '/graphql', { body: JSON.stringify({ query }), headers });

describe('rate limits per caller', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ seed: false, environment: { RATE_LIMIT_PER_MINUTE: '3', RATE_LIMIT_BURST: '0' } });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('answers 429 with Retry-After after RATE_LIMIT_PER_MINUTE requests, on /graphql and /ingest alike', async () => {
    const answers = [];
    for (let index = 0; index < 3; index += 1) answers.push(await graphql(hub, '{ __typename }'));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(answers.map((answer) => [answer.headers['ratelimit-limit'], answer.headers['ratelimit-remaining']])).toEqual([['3', '2'], ['3', '1'], ['3', '0']]);

    const refused = await graphql(hub, '{ __typename }');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers['content-type']).toContain('application/json');
    const body = JSON.parse(refused.body) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0].extensions.code).toBe('RATE_LIMITED');

    const push = await request(hub, 'POST', '/ingest/1', { body: '[]' });
    expect(push.status).toBe(429);
  });

  it('does not run (or audit) a refused mutation', async () => {
    const refused = await graphql(hub, 'mutation { setConnectorEnabled(id: "1", enabled: false) { id } }');
    expect(refused.status).toBe(429);
    expect(await hub.dataSource.getRepository(AuditEvent).count()).toBe(0);
  });

  it('never limits health, readiness or metrics, and counts refusals', async () => {
    for (let index = 0; index < 5; index += 1) {
      expect((await request(hub, 'GET', '/healthz')).status).toBe(200);
      expect((await request(hub, 'GET', '/readyz')).status).toBe(200);
    }
    const metrics = await request(hub, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers['ratelimit-limit']).toBeUndefined();
    // The refused query, the push and the mutation above.
    expect(metrics.body).toMatch(/^pilothub_rate_limited_requests_total\{limit="minute"\} 3$/m);
  });

  it('leaves another caller (another key) unaffected', async () => {
    // Created without a request, so the administrator's allowance is not touched.
    const { key } = await new ApiKeyService(hub.dataSource).create({ name: 'another caller', role: Role.VIEWER, departmentCodes: [] }, 'test');
    const other = await graphql(hub, '{ __typename }', { authorization: `Bearer ${key}` });
    expect(other.status).toBe(200);
    expect(other.headers['ratelimit-remaining']).toBe('2');
    expect((await graphql(hub, '{ __typename }')).status).toBe(429);
  });
});

describe('rate limit recovery', () => {
  let hub: TestHub;
  beforeAll(async () => {
    // A one-second burst window stands in for the minute: the same limiter, a window a test can wait out.
    hub = await startTestHub({ seed: false, environment: { RATE_LIMIT_PER_MINUTE: '1000', RATE_LIMIT_BURST: '2' } });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('lets the caller in again once the window is over; a burst refusal describes the burst limit', async () => {
    const allowed = [await graphql(hub, '{ __typename }'), await graphql(hub, '{ __typename }')];
    expect(allowed.map((answer) => answer.status)).toEqual([200, 200]);
    // Allowed answers describe the per-minute allowance ...
    expect(allowed.map((answer) => [answer.headers['ratelimit-limit'], answer.headers['ratelimit-remaining']])).toEqual([['1000', '999'], ['1000', '998']]);
    const refused = await graphql(hub, '{ __typename }');
    expect([refused.status, refused.headers['retry-after']]).toEqual([429, '1']);
    // ... and a refusal the limit that refused it, as the README shows.
    expect([refused.headers['ratelimit-limit'], refused.headers['ratelimit-remaining'], refused.headers['ratelimit-reset']]).toEqual(['2', '0', '1']);
    expect(JSON.parse(refused.body)).toEqual({
      errors: [{ message: 'rate limit exceeded: at most 2 requests per second for this caller; retry in 1 s', extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 1 } }],
    });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const again = await graphql(hub, '{ __typename }');
    expect(again.status).toBe(200);
    expect(JSON.parse(again.body)).toEqual({ data: { __typename: 'Query' } });
  });
});
