/**
 * Authentication: API keys (created, shown once, stored as a hash, revoked, expired, last use recorded), the
 * PILOTHUB_ADMIN_KEY bootstrap, JWTs from a configured issuer (HS256, and a JWKS served over HTTP), the
 * anonymous switch, and a dump of every table that must not contain any key.
 */
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { Not, type DataSource } from 'typeorm';
import { Department } from '../../src/modules/departments/department.entity';
import { ApiKey } from '../../src/security/api-key.entity';
import { ApiKeyService } from '../../src/security/api-key.service';
import { Role } from '../../src/security/principal';
import { dataOf, errorOf, databaseIdOf } from '../helpers/api';
import { createKey, signPayloadText, signToken, TEST_JWT, tokenHeaders } from '../helpers/auth';
import { startTestHub, TEST_ADMIN_KEY, type TestHub } from '../helpers/test-hub';

const VIEWER_QUERY = '{ viewer { subject name role authenticatedBy departments { code } } }';

/** A raw POST /graphql with exactly these headers (no defaults). */
async function post(hub: TestHub, headers: Record<string, string>, query = '{ program(code: "DA06") { code } }') {
  const response = await fetch(hub.hub.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  return { status: response.status, wwwAuthenticate: response.headers.get('www-authenticate'), body: (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> } };
}

/** Every row of every table, as text, for the dump test. */
async function dumpDatabase(dataSource: DataSource): Promise<string> {
  const sqlite = dataSource.options.type === 'better-sqlite3';
  const tables: Array<{ name: string }> = await dataSource.query(
    sqlite
      ? "SELECT name FROM sqlite_master WHERE type = 'table'"
      : 'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()',
  );
  expect(tables.map((table) => table.name)).toEqual(expect.arrayContaining(['api_key', 'api_key_department', 'connector_secret', 'observation']));
  const parts: string[] = [];
  for (const { name } of tables) {
    const rows: unknown[] = await dataSource.query(`SELECT * FROM ${sqlite ? `"${name}"` : `\`${name}\``}`);
    parts.push(`${name}\n${rows.map((row) => JSON.stringify(row)).join('\n')}`);
  }
  return parts.join('\n');
}

describe('API keys', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(async () => {
    await hub.close();
  });

  it('refuses a request without credentials with 401, WWW-Authenticate: Bearer and a GraphQL-shaped error; the probes stay open', async () => {
    const missing = await post(hub, {});
    expect(missing.status).toBe(401);
    expect(missing.wwwAuthenticate).toBe('Bearer realm="pilothub"');
    // The body the README shows, word for word.
    expect(missing.body).toEqual({ errors: [{ message: 'authentication required: send Authorization: Bearer <API key>', extensions: { code: 'UNAUTHENTICATED' } }] });
    const base = hub.hub.url.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    // Everything else needs credentials, the metrics and the push endpoint included.
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: hub.headers })).status).toBe(200);
    const ingest = await fetch(`${base}/ingest/1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
    expect([ingest.status, ((await ingest.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code]).toEqual([401, 'UNAUTHENTICATED']);
    // The console and GraphiQL pages are static HTML (web/dist) and are served; the operations they send are not.
    for (const page of [`${base}/`, hub.hub.url]) {
      const answer = await fetch(page, { headers: { accept: 'text/html' } });
      expect([answer.status, answer.headers.get('content-type'), answer.headers.get('content-security-policy')]).toEqual([200, expect.stringMatching(/^text\/html/), expect.stringContaining("script-src 'self';")]);
    }
  });

  it('refuses unknown keys and malformed headers alike, without saying which keys exist', async () => {
    const unknown = await post(hub, { authorization: `Bearer ph_${randomBytes(32).toString('base64url')}` });
    const almost = await post(hub, { authorization: `Bearer ${TEST_ADMIN_KEY.slice(0, -1)}x` });
    const basic = await post(hub, { authorization: `Basic ${Buffer.from(`admin:${TEST_ADMIN_KEY}`).toString('base64')}` });
    for (const refused of [unknown, almost, basic]) {
      expect(refused.status).toBe(401);
      expect(refused.wwwAuthenticate).toBe('Bearer realm="pilothub", error="invalid_token"');
      expect(refused.body).toEqual({ errors: [{ message: 'the credentials are not valid', extensions: { code: 'UNAUTHENTICATED' } }] });
    }
    // The scheme is case-insensitive.
    expect((await post(hub, { authorization: `bearer ${TEST_ADMIN_KEY}` })).status).toBe(200);
  });

  it('createApiKey shows the key once; only its SHA-256 hash and a short prefix are stored; lists never show it', async () => {
    const created = await dataOf<{ createApiKey: { key: string; apiKey: { id: string; name: string; role: string; prefix: string; active: boolean; createdBy: string; lastUsedAt: string | null; departments: Array<{ code: string }> } } }>(
      hub,
      'mutation { createApiKey(input: { name: "Health IT", role: DEPARTMENT_IT, departmentCodes: ["SO_YT", "SO_YT"] }) { key apiKey { id name role prefix active createdBy lastUsedAt departments { code } } } }',
    );
    const { key, apiKey } = created.createApiKey;
    expect(key).toMatch(/^ph_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toEqual({ id: expect.any(String), name: 'Health IT', role: 'DEPARTMENT_IT', prefix: key.slice(0, 10), active: true, createdBy: 'PILOTHUB_ADMIN_KEY', lastUsedAt: null, departments: [{ code: 'SO_YT' }] });

    const stored = await hub.dataSource.getRepository(ApiKey).findOneByOrFail({ id: databaseIdOf(apiKey.id) });
    expect(stored.hash).toBe(createHash('sha256').update(key).digest('hex'));
    for (const value of Object.values(stored)) expect(String(value)).not.toContain(key);

    // The schema has no field that could return a key or its hash after creation.
    const listed = await errorOf(hub, '{ apiKeys(first: 5) { edges { node { key } } } }');
    expect(listed.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await errorOf(hub, '{ apiKeys(first: 5) { edges { node { hash } } } }')).extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const keys = await dataOf<{ apiKeys: { totalCount: number; edges: Array<{ node: { name: string; prefix: string } }> } }>(hub, '{ apiKeys(first: 50) { totalCount edges { node { name prefix } } } }');
    expect(keys.apiKeys.edges.map((edge) => edge.node.name)).toEqual(['Health IT', 'PILOTHUB_ADMIN_KEY']);
    expect(keys.apiKeys.totalCount).toBe(2);

    const viewer = await dataOf<{ viewer: unknown }>(hub, VIEWER_QUERY, undefined, { authorization: `Bearer ${key}` });
    expect(viewer.viewer).toEqual({ subject: `key:${databaseIdOf(apiKey.id)}`, name: 'Health IT', role: 'DEPARTMENT_IT', authenticatedBy: 'API_KEY', departments: [{ code: 'SO_YT' }] });
  });

  it('validates createApiKey: departments for DEPARTMENT_IT only and known, a name, a future expiry', async () => {
    const attempt = (input: string) => errorOf(hub, `mutation { createApiKey(input: ${input}) { key } }`);
    const cases: Array<[string, string]> = [
      ['{ name: "x", role: DEPARTMENT_IT }', 'input.departmentCodes'],
      ['{ name: "x", role: DEPARTMENT_IT, departmentCodes: [] }', 'input.departmentCodes'],
      ['{ name: "x", role: VIEWER, departmentCodes: ["SO_YT"] }', 'input.departmentCodes'],
      ['{ name: "x", role: DEPARTMENT_IT, departmentCodes: ["SO_YT", "NOPE"] }', 'input.departmentCodes'],
      ['{ name: "  ", role: ANALYST }', 'input.name'],
      ['{ name: "x", role: ANALYST, expiresAt: "2020-01-01T00:00:00Z" }', 'input.expiresAt'],
    ];
    const before = await hub.dataSource.getRepository(ApiKey).count();
    for (const [input, field] of cases) {
      const error = await attempt(input);
      expect([input, error.extensions?.code, error.extensions?.field]).toEqual([input, 'BAD_USER_INPUT', field]);
      expect(error.message.startsWith(`${field}: `)).toBe(true);
    }
    expect((await attempt('{ name: "x", role: DEPARTMENT_IT, departmentCodes: ["SO_YT", "NOPE"] }')).message).toMatch(/"NOPE"/);
    expect(await hub.dataSource.getRepository(ApiKey).count()).toBe(before);
  });

  it('a revoked key is refused at once; revoking again keeps the first time', async () => {
    const { id, headers } = await createKey(hub, Role.ANALYST);
    expect((await post(hub, headers)).status).toBe(200);
    const first = await dataOf<{ revokeApiKey: { revokedAt: string; active: boolean } }>(hub, `mutation { revokeApiKey(id: "${id}") { revokedAt active } }`);
    expect(first.revokeApiKey.active).toBe(false);
    expect((await post(hub, headers)).status).toBe(401);
    const again = await dataOf<{ revokeApiKey: { revokedAt: string } }>(hub, `mutation { revokeApiKey(id: "${id}") { revokedAt } }`);
    expect(again.revokeApiKey.revokedAt).toBe(first.revokeApiKey.revokedAt);
    const listed = async (includeRevoked: boolean) =>
      (await dataOf<{ apiKeys: { edges: Array<{ node: { id: string } }> } }>(hub, `{ apiKeys(first: 100, includeRevoked: ${includeRevoked}) { edges { node { id } } } }`)).apiKeys.edges.map((edge) => edge.node.id);
    expect(await listed(false)).not.toContain(id);
    expect(await listed(true)).toContain(id);
    expect((await errorOf(hub, 'mutation { revokeApiKey(id: "abc") { id } }')).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'id' });
  });

  it('an expired key is refused', async () => {
    const expiresAt = new Date(Date.now() + 60 * 60_000).toISOString();
    const created = await dataOf<{ createApiKey: { key: string; apiKey: { id: string; expiresAt: string } } }>(
      hub,
      `mutation { createApiKey(input: { name: "expiring", role: VIEWER, expiresAt: "${expiresAt}" }) { key apiKey { id expiresAt } } }`,
    );
    const headers = { authorization: `Bearer ${created.createApiKey.key}` };
    expect((await post(hub, headers)).status).toBe(200);
    // An hour later (moved back in the database rather than waited for).
    await hub.dataSource.getRepository(ApiKey).update(databaseIdOf(created.createApiKey.apiKey.id), { expiresAt: new Date(Date.now() - 1_000) });
    expect((await post(hub, headers)).status).toBe(401);
  });

  it("reads the key's row on every request: a change made directly in the database applies to the very next request", async () => {
    const { id, headers } = await createKey(hub, Role.DEPARTMENT_IT, ['SO_YT'], 'Row read each time');
    const viewer = async () => (await dataOf<{ viewer: { name: string; role: string; departments: Array<{ code: string }> | null } }>(hub, VIEWER_QUERY, undefined, headers)).viewer;
    expect(await viewer()).toMatchObject({ name: 'Row read each time', role: 'DEPARTMENT_IT', departments: [{ code: 'SO_YT' }] });
    expect(await viewer()).toMatchObject({ name: 'Row read each time' });
    // Another process (or an operator's UPDATE) renames the key and widens its scope: seen at once.
    const other = await hub.dataSource.getRepository(Department).findOneByOrFail({ code: Not('SO_YT') });
    await hub.dataSource.getRepository(ApiKey).update(databaseIdOf(id), { name: 'Renamed' });
    await hub.dataSource.createQueryBuilder().relation(ApiKey, 'departments').of(databaseIdOf(id)).add(other.id);
    const changed = await viewer();
    expect(changed.name).toBe('Renamed');
    expect(changed.departments!.map((department) => department.code).sort()).toEqual([other.code, 'SO_YT'].sort());
    // Role changed to one that takes no departments, then revoked past the API: refused on the next request.
    await hub.dataSource.getRepository(ApiKey).update(databaseIdOf(id), { role: Role.VIEWER });
    expect(await viewer()).toMatchObject({ name: 'Renamed', role: 'VIEWER', departments: null });
    await hub.dataSource.getRepository(ApiKey).update(databaseIdOf(id), { revokedAt: new Date() });
    expect((await post(hub, headers)).status).toBe(401);
  });

  it('records the last use, at most once a minute (no write per request)', async () => {
    const { id, headers } = await createKey(hub, Role.VIEWER);
    const lastUsed = async () => (await hub.dataSource.getRepository(ApiKey).findOneByOrFail({ id: databaseIdOf(id) })).lastUsedAt;
    expect(await lastUsed()).toBeNull();
    const before = Date.now();
    expect((await post(hub, headers)).status).toBe(200);
    let first: Date | null = null;
    for (let waited = 0; first === null && waited < 3_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      first = await lastUsed();
    }
    expect(first).not.toBeNull();
    // MariaDB keeps whole seconds.
    expect(first!.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    hub.counter.reset();
    for (let index = 0; index < 5; index += 1) expect((await post(hub, headers)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(hub.counter.statements.filter((statement) => /^UPDATE/i.test(statement.trim()))).toEqual([]);
    expect((await lastUsed())?.getTime()).toBe(first!.getTime());
  });

  it('PILOTHUB_ADMIN_KEY is ensured once, also by processes starting together; a revoked one stays revoked', async () => {
    const service = new ApiKeyService(hub.dataSource);
    const hashOf = (key: string) => createHash('sha256').update(key).digest('hex');
    expect(await service.ensureAdminKey(TEST_ADMIN_KEY)).toBe('present');
    expect(await hub.dataSource.getRepository(ApiKey).countBy({ hash: hashOf(TEST_ADMIN_KEY) })).toBe(1);

    const fresh = `bootstrap-${randomBytes(24).toString('hex')}`;
    const outcomes = await Promise.all([service.ensureAdminKey(fresh), service.ensureAdminKey(fresh), service.ensureAdminKey(fresh)]);
    expect(outcomes.filter((outcome) => outcome === 'created')).toHaveLength(1);
    expect(await hub.dataSource.getRepository(ApiKey).findBy({ hash: hashOf(fresh) })).toEqual([
      expect.objectContaining({ role: Role.ADMIN, name: 'PILOTHUB_ADMIN_KEY', prefix: fresh.slice(0, 4), revokedAt: null }),
    ]);
    const viewer = await dataOf<{ viewer: { role: string } }>(hub, '{ viewer { role } }', undefined, { authorization: `Bearer ${fresh}` });
    expect(viewer.viewer.role).toBe('ADMIN');

    const row = await hub.dataSource.getRepository(ApiKey).findOneByOrFail({ hash: hashOf(fresh) });
    await service.revoke(row.id);
    expect(await service.ensureAdminKey(fresh)).toBe('revoked');
    expect((await post(hub, { authorization: `Bearer ${fresh}` })).status).toBe(401);
  });

  it('a dump of every table contains none of the keys, the bootstrap key included', async () => {
    const keys = [TEST_ADMIN_KEY];
    for (const role of [Role.ADMIN, Role.ANALYST, Role.VIEWER]) keys.push((await createKey(hub, role)).key);
    keys.push((await createKey(hub, Role.DEPARTMENT_IT, ['SO_TP', 'SO_YT'])).key);
    for (const key of keys) expect((await post(hub, { authorization: `Bearer ${key}` })).status).toBe(200);
    const dump = await dumpDatabase(hub.dataSource);
    expect(dump).toContain(createHash('sha256').update(keys[1]).digest('hex'));
    for (const key of keys) {
      expect(dump).not.toContain(key);
      // Not even the random part alone.
      expect(dump).not.toContain(key.slice(3));
    }
  });
});

describe('JWT single sign-on', () => {
  const SECRET = 'a-shared-secret-of-at-least-32-characters!';
  const ISSUER = 'https://sso.nghean.gov.vn/realms/pilothub';
  const AUDIENCE = 'pilothub-api';

  const sign = (claims: Record<string, unknown>, options: { issuer?: string; audience?: string; expiresIn?: string | number; secret?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('nguyen.van.a')
      .setIssuer(options.issuer ?? ISSUER)
      .setAudience(options.audience ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '10m')
      .sign(new TextEncoder().encode(options.secret ?? SECRET));

  describe('with a shared HS256 secret', () => {
    let hub: TestHub;
    beforeAll(async () => {
      hub = await startTestHub({
        environment: { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWT_SECRET: SECRET, JWT_CLOCK_TOLERANCE_SECONDS: '5' },
      });
    });
    afterAll(async () => {
      await hub.close();
    });

    it('accepts a valid token: role, departments and name from its claims', async () => {
      const token = await sign({ name: 'Nguyễn Văn A', pilothub_role: 'DEPARTMENT_IT', pilothub_departments: ['SO_TP'] });
      const data = await dataOf<{ viewer: unknown }>(hub, VIEWER_QUERY, undefined, { authorization: `Bearer ${token}` });
      expect(data.viewer).toEqual({ subject: 'jwt:nguyen.van.a', name: 'Nguyễn Văn A', role: 'DEPARTMENT_IT', authenticatedBy: 'JWT', departments: [{ code: 'SO_TP' }] });
      // The role applies: a catalogue mutation is refused.
      const refused = await errorOf(hub, 'mutation { updatePilotModelStatus(code: "M05", status: COMPLETED, note: "sso") { code } }', undefined, { authorization: `Bearer ${token}` });
      expect(refused.extensions?.code).toBe('FORBIDDEN');
      const analyst = await sign({ pilothub_role: 'ANALYST', preferred_username: 'analyst.b' });
      expect((await dataOf<{ viewer: unknown }>(hub, '{ viewer { name role departments { code } } }', undefined, { authorization: `Bearer ${analyst}` })).viewer).toEqual({
        name: 'analyst.b',
        role: 'ANALYST',
        departments: null,
      });
      // API keys keep working next to tokens.
      expect((await post(hub, hub.headers)).status).toBe(200);
      // The scrape needs credentials too, and an administrator's (a token as well as a key).
      const metricsUrl = hub.hub.url.replace(/\/graphql$/, '/metrics');
      expect((await fetch(metricsUrl)).status).toBe(401);
      expect((await fetch(metricsUrl, { headers: { authorization: `Bearer ${analyst}` } })).status).toBe(403);
      const admin = await sign({ pilothub_role: 'ADMIN' });
      expect((await fetch(metricsUrl, { headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
    });

    it('refuses a wrong issuer or audience, an expired token, a bad signature and a token without a usable role', async () => {
      const refused = {
        issuer: await sign({ pilothub_role: 'ADMIN' }, { issuer: 'https://elsewhere.example' }),
        audience: await sign({ pilothub_role: 'ADMIN' }, { audience: 'another-api' }),
        // Expired a minute ago: beyond the 5 s clock tolerance.
        expired: await sign({ pilothub_role: 'ADMIN' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 }),
        signature: await sign({ pilothub_role: 'ADMIN' }, { secret: 'another-secret-of-at-least-32-characters!!' }),
        noRole: await sign({}),
        badRole: await sign({ pilothub_role: 'ROOT' }),
        noDepartment: await sign({ pilothub_role: 'DEPARTMENT_IT' }),
        unknownDepartment: await sign({ pilothub_role: 'DEPARTMENT_IT', pilothub_departments: 'SO_YT,NOPE' }),
        unsigned: `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'x', exp: 9999999999, pilothub_role: 'ADMIN' })).toString('base64url')}.`,
      };
      const statuses: Record<string, number> = {};
      for (const [name, token] of Object.entries(refused)) {
        const response = await post(hub, { authorization: `Bearer ${token}` });
        statuses[name] = response.status;
        if (response.status === 401) expect(response.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      }
      expect(statuses).toEqual(Object.fromEntries(Object.keys(refused).map((name) => [name, 401])));
      // Within the clock tolerance an expiry just passed is still accepted.
      const justExpired = await sign({ pilothub_role: 'VIEWER' }, { expiresIn: Math.floor(Date.now() / 1000) - 1 });
      expect((await post(hub, { authorization: `Bearer ${justExpired}` })).status).toBe(200);
    });
  });

  describe('one principal, whatever the credential (HS256 tokens of the test issuer)', () => {
    let hub: TestHub;
    let justiceConnector: string;
    beforeAll(async () => {
      hub = await startTestHub({ environment: { ...TEST_JWT, JWT_CLOCK_TOLERANCE_SECONDS: '5', JWT_MAX_LIFETIME_SECONDS: '3600' } });
      justiceConnector = (
        await dataOf<{ registerConnector: { id: string } }>(hub, 'mutation { registerConnector(input: { name: "Justice push", kind: "push", department: "SO_TP", config: {} }) { id } }')
      ).registerConnector.id;
    });
    afterAll(async () => {
      await hub.close();
    });

    const SCOPED_CALLS = `query($connector: ID!) {
      viewer { role departments { code } }
      connectors(first: 50) { edges { node { department { code } } } }
      connector(id: $connector) { id }
      metric(code: "KIOSK_NOTARIZATIONS") { latest { value } }
    }`;

    it('a DEPARTMENT_IT token keeps exactly its departments on every request, as a key with the same scope does', async () => {
      const key = await createKey(hub, Role.DEPARTMENT_IT, ['SO_YT']);
      const token = await tokenHeaders({ pilothub_role: 'DEPARTMENT_IT', pilothub_departments: ['SO_YT'] });
      const outcome = async (headers: Record<string, string>) => {
        const response = await hub.graphql(SCOPED_CALLS, { connector: justiceConnector }, headers);
        // Root fields resolve concurrently: their errors come in the order they finished.
        const errors = response.errors?.map((error) => [error.path?.join('.'), error.extensions?.code]);
        return { data: response.data, errors: errors?.sort((a, b) => String(a[0]).localeCompare(String(b[0]))) };
      };
      const expected = {
        data: { viewer: { role: 'DEPARTMENT_IT', departments: [{ code: 'SO_YT' }] }, connectors: { edges: [] }, connector: null, metric: { latest: null } },
        errors: [['connector', 'NOT_FOUND'], ['metric.latest', 'FORBIDDEN']],
      };
      // The first request fills the department cache; the next ones are served from it.
      for (let request = 0; request < 4; request += 1) {
        expect(await outcome(token)).toEqual(expected);
        expect(await outcome(key.headers)).toEqual(expected);
      }
      // And the token may not enable another department's connector.
      for (let request = 0; request < 2; request += 1) {
        const enabled = await hub.graphql(`mutation { setConnectorEnabled(id: "${justiceConnector}", enabled: false) { id } }`, undefined, token);
        expect(enabled.errors?.map((error) => error.extensions?.code)).toEqual(['NOT_FOUND']);
      }
      expect(await hub.dataSource.query('SELECT enabled FROM connector WHERE id = ?', [databaseIdOf(justiceConnector)])).toEqual([{ enabled: 1 }]);
      // A token naming two departments gets both, and one naming the other department only that one.
      const both = await tokenHeaders({ pilothub_role: 'DEPARTMENT_IT', pilothub_departments: 'SO_TP, SO_YT' });
      const justice = await tokenHeaders({ pilothub_role: 'DEPARTMENT_IT', pilothub_departments: ['SO_TP'] });
      for (let request = 0; request < 2; request += 1) {
        expect((await dataOf<{ viewer: unknown }>(hub, '{ viewer { departments { code } } }', undefined, both)).viewer).toEqual({ departments: [{ code: 'SO_TP' }, { code: 'SO_YT' }] });
        expect((await dataOf<{ viewer: unknown }>(hub, '{ viewer { departments { code } } }', undefined, justice)).viewer).toEqual({ departments: [{ code: 'SO_TP' }] });
      }
    });

    it('refuses claims of the wrong type or an unbounded lifetime with 401, never 500', async () => {
      const now = Math.floor(Date.now() / 1000);
      const base = { iss: TEST_JWT.JWT_ISSUER, aud: TEST_JWT.JWT_AUDIENCE, iat: now, pilothub_role: 'ADMIN' };
      const raw = (claims: Record<string, unknown>, extra = '') => signPayloadText(JSON.stringify({ ...base, sub: 'x', exp: now + 600, ...claims }).replace(/}$/, `${extra}}`));
      const refused: Record<string, string> = {
        subNull: await signToken({ ...base, sub: null }),
        subArray: await signToken({ ...base, sub: ['a'] }),
        subNumber: await signToken({ ...base, sub: 123 }),
        subObject: await signToken({ ...base, sub: { toString: 1 } }),
        subEmpty: await signToken({ ...base, sub: '' }),
        subControl: await signToken({ ...base, sub: 'a\u0000b' }),
        subBidi: await signToken({ ...base, sub: 'admin\u202e' }),
        expInfinite: raw({ exp: undefined }, ',"exp":1e400'),
        expText: await signToken({ ...base, exp: String(now + 600) }),
        expTooFar: await signToken({ ...base, exp: now + 7200 }),
        iatTooEarly: await signToken({ ...base, iat: now - 7200, exp: now + 600 }),
        iatInfinite: raw({ iat: undefined }, ',"iat":-1e400'),
        roleArray: await signToken({ ...base, pilothub_role: ['ADMIN'] }),
        departmentsNumbers: await signToken({ ...base, pilothub_role: 'DEPARTMENT_IT', pilothub_departments: [1, 2] }),
        departmentsObject: await signToken({ ...base, pilothub_role: 'DEPARTMENT_IT', pilothub_departments: { SO_YT: true } }),
        departmentsMixed: await signToken({ ...base, pilothub_role: 'DEPARTMENT_IT', pilothub_departments: ['SO_YT', ['SO_TP']] }),
        departmentsEmpty: await signToken({ ...base, pilothub_role: 'DEPARTMENT_IT', pilothub_departments: [] }),
      };
      const outcomes: Record<string, unknown> = {};
      for (const [name, token] of Object.entries(refused)) {
        const response = await post(hub, { authorization: `Bearer ${token}` });
        outcomes[name] = [response.status, response.body.errors?.[0]?.extensions?.code];
      }
      expect(outcomes).toEqual(Object.fromEntries(Object.keys(refused).map((name) => [name, [401, 'UNAUTHENTICATED']])));
      // Within the limits the same claims are accepted: a lifetime of exactly JWT_MAX_LIFETIME_SECONDS, no iat.
      const accepted = [await signToken({ ...base, exp: now + 3600 }), raw({ iat: undefined })];
      for (const token of accepted) expect((await post(hub, { authorization: `Bearer ${token}` })).status).toBe(200);
    });

    it('names lose control and bidi characters before they are shown or recorded as the author, for tokens and keys alike', async () => {
      const token = await tokenHeaders({ pilothub_role: 'ADMIN', sub: 'tran.b', name: 'Trần\u0000 Thị\u202e B\u2066\n' });
      const viewer = await dataOf<{ viewer: { subject: string; name: string } }>(hub, '{ viewer { subject name } }', undefined, token);
      expect(viewer.viewer).toEqual({ subject: 'jwt:tran.b', name: 'Trần Thị B' });
      // A name that is nothing but such characters falls back to the next claim.
      const blank = await tokenHeaders({ pilothub_role: 'VIEWER', sub: 'le.c', name: '\u202e\u0000', preferred_username: 'le.c.user' });
      expect((await dataOf<{ viewer: { name: string } }>(hub, '{ viewer { name } }', undefined, blank)).viewer.name).toBe('le.c.user');
      await dataOf(hub, 'mutation { updatePilotModel(code: "M07", input: { note: "bidi" }) { code } }', undefined, token);
      const rows: Array<{ actorName: string }> = await hub.dataSource.query("SELECT actorName FROM audit_event WHERE action = 'updatePilotModel' ORDER BY id DESC");
      expect(rows[0].actorName).toBe('Trần Thị B');
      const key = await createKey(hub, Role.VIEWER, [], 'Sở Y tế \u202epush\u2067');
      expect((await dataOf<{ viewer: { name: string } }>(hub, '{ viewer { name } }', undefined, key.headers)).viewer.name).toBe('Sở Y tế push');
    });
  });

  describe('with a JWKS published by the issuer', () => {
    let hub: TestHub;
    let jwksServer: http.Server;
    let privateKey: webcrypto.CryptoKey;
    let otherKey: webcrypto.CryptoKey;
    let publicJwk: JWK;
    let requests = 0;

    beforeAll(async () => {
      const pair = await generateKeyPair('RS256');
      privateKey = pair.privateKey;
      otherKey = (await generateKeyPair('RS256')).privateKey;
      const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
      publicJwk = jwk;
      jwksServer = http.createServer((_request, response) => {
        requests += 1;
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ keys: [jwk] }));
      });
      await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
      const { port } = jwksServer.address() as AddressInfo;
      hub = await startTestHub({ environment: { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWT_JWKS_URL: `http://127.0.0.1:${port}/certs` } });
    });
    afterAll(async () => {
      await hub.close();
      await new Promise((resolve) => jwksServer.close(resolve));
    });

    const signRs = (key: webcrypto.CryptoKey, claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'key-1' }).setSubject('tran.thi.b').setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(key);

    it('verifies tokens with the published key and refuses those signed with another one', async () => {
      const token = await signRs(privateKey, { pilothub_role: 'VIEWER', name: 'Trần Thị B' });
      const data = await dataOf<{ viewer: { name: string; role: string; authenticatedBy: string } }>(hub, '{ viewer { name role authenticatedBy } }', undefined, { authorization: `Bearer ${token}` });
      expect(data.viewer).toEqual({ name: 'Trần Thị B', role: 'VIEWER', authenticatedBy: 'JWT' });
      expect(requests).toBeGreaterThanOrEqual(1);
      const forged = await signRs(otherKey, { pilothub_role: 'ADMIN' });
      expect((await post(hub, { authorization: `Bearer ${forged}` })).status).toBe(401);
      // An HS256 token made with the public key as secret (algorithm confusion) is refused too.
      const confused = await sign({ pilothub_role: 'ADMIN' }, { secret: JSON.stringify(publicJwk) });
      expect((await post(hub, { authorization: `Bearer ${confused}` })).status).toBe(401);
    });
  });
});

describe('anonymous read access (ANONYMOUS_READ=true) and public metrics (METRICS_PUBLIC=true)', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ environment: { ANONYMOUS_READ: 'true', METRICS_PUBLIC: 'true' } });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('serves dashboard reads without credentials, refuses the rest, and lets credentials rule when sent', async () => {
    const anonymous = await post(hub, {}, '{ viewer { role authenticatedBy } program(code: "DA06") { pilotModelCounts { total } } }');
    expect(anonymous).toMatchObject({ status: 200, body: { data: { viewer: { role: 'VIEWER', authenticatedBy: 'ANONYMOUS' }, program: { pilotModelCounts: { total: 38 } } } } });
    const connectors = await post(hub, {}, '{ connectors(first: 1) { totalCount } }');
    expect(connectors.body.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    const mutation = await post(hub, {}, 'mutation { updatePilotModelStatus(code: "M05", status: COMPLETED, note: "anonymous") { code } }');
    expect(mutation.body.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    // Invalid credentials are still refused, never downgraded to anonymous.
    expect((await post(hub, { authorization: 'Bearer ph_nope' })).status).toBe(401);
    expect((await dataOf<{ viewer: { role: string } }>(hub, '{ viewer { role } }')).viewer.role).toBe('ADMIN');
  });

  it('answers the Prometheus scrape without credentials', async () => {
    const scrape = await fetch(hub.hub.url.replace(/\/graphql$/, '/metrics'));
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toMatch(/^pilothub_http_request_duration_seconds_bucket/m);
  });
});
