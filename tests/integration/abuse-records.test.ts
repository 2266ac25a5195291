/**
 * Bounded records of abuse: a refused operation leaves one bounded audit row whatever it asked for, every log line
 * is bounded (errors carrying SQL and parameters included), credentials sent in a query string never reach the
 * log, writes refused at authentication are audited, failed authentications are limited and logged once per window
 * per address, and every response carries the security headers (HSTS and forwarded addresses only with TRUST_PROXY).
 */
import { Writable } from 'node:stream';
import { ApiKeyService } from '../../src/security/api-key.service';
import { AuditEvent } from '../../src/security/audit-event.entity';
import { createLogger, MAX_LOG_LINE_BYTES } from '../../src/observability/logger';
import { Role } from '../../src/security/principal';
import { sendRaw, type RawAnswer, databaseIdOf } from '../helpers/api';
import { createKey } from '../helpers/auth';
import { startTestHub, type TestHub } from '../helpers/test-hub';

/** A raw request (any method, path, headers, source address) to a test hub. */
function send(hub: TestHub, method: string, path: string, options: { body?: string; headers?: Record<string, string>; from?: string } = {}): Promise<RawAnswer> {
  const headers = { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers };
  return sendRaw(hub.hub.port, method, path, { ...options, headers });
}

function captureLog(): { destination: Writable; lines: string[] } {
  const lines: string[] = [];
  let pending = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      pending += chunk.toString();
      const parts = pending.split('\n');
      pending = parts.pop()!;
      lines.push(...parts);
      done();
    },
  });
  return { destination, lines };
}

const bytesOf = (lines: string[]) => lines.reduce((sum, line) => sum + Buffer.byteLength(line, 'utf8') + 1, 0);
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

describe('bounded records of refused operations', () => {
  let hub: TestHub;
  const log = captureLog();
  let viewer: Record<string, string>;
  beforeAll(async () => {
    hub = await startTestHub({ seed: false, logDestination: log.destination, environment: { GRAPHQL_MAX_BODY_KB: '1024' } });
    viewer = (await createKey(hub, Role.VIEWER)).headers;
  });
  afterAll(async () => {
    await hub.close();
  });
  const audit = () => hub.dataSource.getRepository(AuditEvent);

  it('a mutation of 1,900 unknown root fields with 60 KB of variables leaves one audit row of at most 8 KB and a few short log lines', async () => {
    const fields = Array.from({ length: 1_900 }, (_, index) => `f${index}`).join(' ');
    // ~60 KB of variables: 600 of them, 100 characters each.
    const variables = Object.fromEntries(Array.from({ length: 600 }, (_, index) => [`v${index}`, `${'x'.repeat(96)}${String(index).padStart(4, '0')}`]));
    const before = log.lines.length;
    const answer = await send(hub, 'POST', '/graphql', {
      headers: { ...viewer, 'x-request-id': 'flood-1900' },
      body: JSON.stringify({ query: `mutation { ${fields} }`, variables }),
    });
    expect(answer.status).toBe(400);
    const rows = await audit().find({ where: { requestId: 'flood-1900' } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: '+1900 unknown fields', outcome: 'FAILURE', errorCode: 'GRAPHQL_VALIDATION_FAILED', actorRole: 'VIEWER' });
    expect(Buffer.byteLength(rows[0].details!, 'utf8')).toBeLessThanOrEqual(8 * 1024);
    expect(JSON.parse(rows[0].details!)).toMatchObject({ notExecuted: true, fields: [], unknownFields: 1_900, truncated: true });
    const written = log.lines.slice(before);
    expect(written.every((line) => Buffer.byteLength(line, 'utf8') <= MAX_LOG_LINE_BYTES)).toBe(true);
    expect(bytesOf(written)).toBeLessThan(32 * 1024);
  });

  it('names the mutation fields that exist, once each, and only counts the others', async () => {
    const answer = await send(hub, 'POST', '/graphql', {
      headers: { ...viewer, 'x-request-id': 'mixed-fields' },
      body: JSON.stringify({ query: 'mutation { revokeApiKey(id: "1") { id } a: revokeApiKey(id: "2") { id } dropEverything bogus }' }),
    });
    expect(answer.status).toBe(400);
    const rows = await audit().find({ where: { requestId: 'mixed-fields' } });
    expect(rows.map((row) => row.action)).toEqual(['revokeApiKey +2 unknown fields']);
    expect(JSON.parse(rows[0].details!)).toMatchObject({ fields: ['revokeApiKey'], unknownFields: 2 });
  });

  it('logs a failed statement with its SQL and parameters cut to a few KB', async () => {
    const { destination, lines } = captureLog();
    const logger = createLogger({ level: 'info', pretty: false }, destination);
    const parameter = `secret-value-${'p'.repeat(5_000_000)}`;
    const error = await hub.dataSource.query(`SELECT ? AS value FROM no_such_table_${'t'.repeat(10_000)}`, [parameter]).then(
      () => null,
      (failure: unknown) => failure,
    );
    expect(error).not.toBeNull();
    logger.error({ err: error }, 'statement failed');
    expect(lines).toHaveLength(1);
    expect(Buffer.byteLength(lines[0], 'utf8')).toBeLessThanOrEqual(MAX_LOG_LINE_BYTES);
    expect(lines[0]).not.toContain('secret-value');
    expect(JSON.parse(lines[0])).toMatchObject({ msg: 'statement failed', err: { parameters: '[1 parameters omitted]' } });
  });

  it('bounds any log line, whatever field makes it long', () => {
    const { destination, lines } = captureLog();
    createLogger({ level: 'info', pretty: false }, destination).warn({ huge: 'h'.repeat(1_000_000), requestId: 'r-1' }, 'something large');
    expect(lines).toHaveLength(1);
    expect(Buffer.byteLength(lines[0], 'utf8')).toBeLessThanOrEqual(MAX_LOG_LINE_BYTES);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 40, msg: 'something large', requestId: 'r-1', truncated: true });
  });

  it('never logs a credential sent in the query string', async () => {
    const secret = 'ph_querystring-secret-0123456789abcdefghijkl';
    const before = log.lines.length;
    for (const name of ['access_token', 'api_key', 'apiKey', 'token', 'key', 'password']) {
      const answer = await send(hub, 'GET', `/graphql?query=%7B__typename%7D&${name}=${secret}`, { headers: { accept: 'application/json', 'apollo-require-preflight': 'true' } });
      expect(answer.status).toBe(401);
      // Also on a request that succeeds (and is logged as completed).
      const allowed = await send(hub, 'GET', `/graphql?query=%7B__typename%7D&${name}=${secret}`, { headers: { ...hub.headers, accept: 'application/json', 'apollo-require-preflight': 'true' } });
      expect(allowed.status).toBe(200);
    }
    const written = log.lines.slice(before).join('\n');
    expect(written).toContain('access_token=[redacted]');
    expect(written).not.toContain(secret);
  });
});

describe('writes refused at authentication', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ seed: false });
  });
  afterAll(async () => {
    await hub.close();
  });
  const audit = () => hub.dataSource.getRepository(AuditEvent);

  it('a mutation with a revoked key is recorded DENIED with that key as the actor; with an unknown key, as unauthenticated', async () => {
    const service = new ApiKeyService(hub.dataSource);
    const { key, apiKey } = await service.create({ name: 'Sở Y tế — cũ', role: Role.DEPARTMENT_IT, departmentCodes: [] }, 'test').catch(async () => service.create({ name: 'Sở Y tế — cũ', role: Role.ANALYST, departmentCodes: [] }, 'test'));
    await service.revoke(apiKey.id);
    const mutation = JSON.stringify({ query: 'mutation { revokeApiKey(id: "1") { id } nonsense }' });
    const revoked = await send(hub, 'POST', '/graphql', { headers: { authorization: `Bearer ${key}`, 'x-request-id': 'revoked-key' }, body: mutation });
    expect(revoked.status).toBe(401);
    const unknown = await send(hub, 'POST', '/graphql', { headers: { authorization: 'Bearer ph_not-a-key-at-all-000000000000000000000000', 'x-request-id': 'unknown-key' }, body: mutation });
    expect(unknown.status).toBe(401);
    const push = await send(hub, 'POST', '/ingest/7', { headers: { authorization: `Bearer ${key}`, 'x-request-id': 'revoked-push' }, body: '[]' });
    expect(push.status).toBe(401);
    // Reads are not recorded.
    await send(hub, 'POST', '/graphql', { headers: { authorization: `Bearer ${key}`, 'x-request-id': 'revoked-read' }, body: JSON.stringify({ query: '{ __typename }' }) });

    const rows = await audit().find({ order: { id: 'ASC' } });
    expect(rows.map((row) => [row.requestId, row.action, row.actorSubject, row.actorName, row.outcome, row.errorCode, row.targetType, row.targetId, row.clientIp])).toEqual([
      ['revoked-key', 'revokeApiKey +1 unknown field', `key:${databaseIdOf(apiKey.id)}`, 'Sở Y tế — cũ', 'DENIED', 'UNAUTHENTICATED', null, null, expect.stringContaining('127.0.0.1')],
      ['unknown-key', 'revokeApiKey +1 unknown field', 'unauthenticated', 'unauthenticated', 'DENIED', 'UNAUTHENTICATED', null, null, expect.stringContaining('127.0.0.1')],
      ['revoked-push', 'ingest.push', `key:${databaseIdOf(apiKey.id)}`, 'Sở Y tế — cũ', 'DENIED', 'UNAUTHENTICATED', 'connector', '7', expect.stringContaining('127.0.0.1')],
    ]);
    expect(JSON.parse(rows[0].details!)).toMatchObject({ notExecuted: true, reason: 'unknown, revoked or expired API key', fields: ['revokeApiKey'], unknownFields: 1 });
  });
});

describe('failed authentications per address', () => {
  let hub: TestHub;
  const log = captureLog();
  beforeAll(async () => {
    hub = await startTestHub({ seed: false, logDestination: log.destination, environment: { RATE_LIMIT_AUTH_FAILURES: '20', RATE_LIMIT_AUTH_WINDOW_SECONDS: '60' } });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('300 requests with a bad key: 20 get 401, the rest 429 with Retry-After; one log line, at most 20 audit rows', async () => {
    const bad = { authorization: 'Bearer ph_flood-0000000000000000000000000000000000000000' };
    const before = log.lines.length;
    const body = JSON.stringify({ query: 'mutation { revokeApiKey(id: "1") { id } }' });
    const answers = await Promise.all(Array.from({ length: 300 }, () => send(hub, 'POST', '/graphql', { headers: bad, body })));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(20);
    expect(statuses.filter((status) => status === 429)).toHaveLength(280);
    const limited = answers.find((answer) => answer.status === 429)!;
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(JSON.parse(limited.body)).toMatchObject({ errors: [{ extensions: { code: 'RATE_LIMITED' } }] });

    const written = log.lines.slice(before);
    expect(written.filter((line) => line.includes('not authenticated'))).toHaveLength(1);
    expect(written.length).toBeLessThanOrEqual(2);
    expect(await hub.dataSource.getRepository(AuditEvent).count()).toBe(20);

    // Another address has its own allowance; the limited one is refused even with a good key until the window ends.
    expect((await send(hub, 'POST', '/graphql', { headers: bad, body, from: '127.0.0.2' })).status).toBe(401);
    expect((await send(hub, 'POST', '/graphql', { headers: hub.headers, body: JSON.stringify({ query: '{ __typename }' }) })).status).toBe(429);
    const metrics = await send(hub, 'GET', '/metrics', { headers: hub.headers, from: '127.0.0.3' });
    expect(metrics.body).toMatch(/^pilothub_rate_limited_requests_total\{limit="authentication"\} 281$/m);
  });
});

describe('security headers and TRUST_PROXY', () => {
  it('every response carries nosniff, DENY framing and no-referrer; no HSTS and no forwarded address without TRUST_PROXY', async () => {
    const hub = await startTestHub({ seed: false });
    try {
      const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' };
      const answers = [
        await send(hub, 'GET', '/healthz', { headers: forwarded }),
        await send(hub, 'POST', '/graphql', { headers: forwarded, body: '{"query":"{ __typename }"}' }),
        await send(hub, 'POST', '/graphql', { headers: { ...hub.headers, ...forwarded, 'x-request-id': 'no-proxy' }, body: '{"query":"mutation { revokeApiKey(id: \\"999\\") { id } }"}' }),
        await send(hub, 'GET', '/nowhere', { headers: { ...hub.headers, ...forwarded } }),
      ];
      expect(answers.map((answer) => answer.status)).toEqual([200, 401, 200, 404]);
      for (const answer of answers) {
        expect(answer.headers).toMatchObject(SECURITY_HEADERS);
        expect(answer.headers['content-security-policy']).toContain("frame-ancestors 'none'");
        expect(answer.headers['strict-transport-security']).toBeUndefined();
      }
      const row = await hub.dataSource.getRepository(AuditEvent).findOneByOrFail({ requestId: 'no-proxy' });
      expect(row.clientIp).toMatch(/127\.0\.0\.1$/);
    } finally {
      await hub.close();
    }
  });

  it('with TRUST_PROXY the forwarded address is the client in audit rows and limits, and HSTS is sent on https', async () => {
    const hub = await startTestHub({ seed: false, environment: { TRUST_PROXY: 'loopback', RATE_LIMIT_AUTH_FAILURES: '2' } });
    try {
      const overHttps = await send(hub, 'POST', '/graphql', {
        headers: { ...hub.headers, 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.1, 203.0.113.9', 'x-request-id': 'behind-proxy' },
        body: '{"query":"mutation { revokeApiKey(id: \\"999\\") { id } }"}',
      });
      expect(overHttps.headers['strict-transport-security']).toMatch(/^max-age=31536000/);
      const row = await hub.dataSource.getRepository(AuditEvent).findOneByOrFail({ requestId: 'behind-proxy' });
      expect(row.clientIp).toBe('203.0.113.9');
      const overHttp = await send(hub, 'GET', '/healthz', { headers: { 'x-forwarded-proto': 'http' } });
      expect(overHttp.headers['strict-transport-security']).toBeUndefined();

      // Failed authentications are counted per forwarded client, not against the proxy.
      const bad = (client: string) => send(hub, 'POST', '/graphql', { headers: { authorization: 'Bearer ph_nope-000000000000000000000000000000000000', 'x-forwarded-for': client }, body: '{"query":"{ __typename }"}' });
      expect([(await bad('203.0.113.50')).status, (await bad('203.0.113.50')).status, (await bad('203.0.113.50')).status]).toEqual([401, 401, 429]);
      expect((await bad('203.0.113.51')).status).toBe(401);
    } finally {
      await hub.close();
    }
  });
});
