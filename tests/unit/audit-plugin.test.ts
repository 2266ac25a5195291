/**
 * The audit plugin with callers of lower roles (authentication is not needed for this: the principal is given
 * in the context), and the redaction of credentials in stored details.
 */
import { ApiKeyService } from '../../src/security/api-key.service';
import { ApolloServer } from '@apollo/server';
import { Arg, Authorized, Ctx, Int, Mutation, Resolver, buildSchema } from 'type-graphql';
import { loadConfig } from '../../src/config';
import { RequestLoaders, type HubContext } from '../../src/graphql/context';
import { createErrorFormatter } from '../../src/graphql/errors';
import { resolvers, UNUSED_PUB_SUB } from '../../src/graphql/schema';
import { ADMIN_ONLY, assertDepartmentAccess, authChecker } from '../../src/security/access';
import { AuditEvent } from '../../src/security/audit-event.entity';
import { auditPlugin } from '../../src/security/audit-plugin';
import { AuditOutcome, onAuditWriteFailure, recordAuditEvent, redactForAudit, SCHEDULER_ACTOR } from '../../src/security/audit';
import { Role, type Principal } from '../../src/security/principal';
import { closeDatabase } from '../helpers/test-hub';
import { openTestDatabase, type TestDatabase } from '../helpers/test-database';

@Resolver()
class ProbeResolver {
  @Authorized(...ADMIN_ONLY)
  @Mutation(() => Boolean)
  rotateSigningKey(@Arg('apiKey') _apiKey: string): boolean {
    return true;
  }

  @Mutation(() => Boolean)
  touchDepartment(@Arg('departmentId', () => Int) departmentId: number, @Ctx() context: HubContext): boolean {
    assertDepartmentAccess(context.principal, departmentId, 'department');
    return true;
  }
}

const principal = (role: Role, departmentIds: number[] | null = null): Principal => ({
  subject: `key:${role.toLowerCase()}`,
  name: `${role} key`,
  role,
  departmentIds,
  apiKeyId: 7,
});

describe('audit plugin', () => {
  let database: TestDatabase;
  let server: ApolloServer<HubContext>;
  let requests = 0;

  beforeAll(async () => {
    database = await openTestDatabase({ seed: false });
    const schema = await buildSchema({ resolvers: [...resolvers, ProbeResolver], authChecker, validate: { forbidUnknownValues: false }, pubSub: UNUSED_PUB_SUB });
    server = new ApolloServer<HubContext>({ schema, plugins: [auditPlugin()], formatError: createErrorFormatter(() => undefined) });
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
    await closeDatabase(database.dataSource);
  });

  async function execute(query: string, caller: Principal) {
    requests += 1;
    const requestId = `unit-${requests}`;
    const response = await server.executeOperation(
      { query },
      {
        contextValue: {
          dataSource: database.dataSource,
          config: loadConfig({}),
          loaders: new RequestLoaders(database.dataSource),
          principal: caller,
          actor: caller.name,
          requestId,
          clientIp: '10.0.0.5',
          apiKeys: new ApiKeyService(database.dataSource),
        },
      },
    );
    const body = response.body.kind === 'single' ? response.body.singleResult : null;
    const events = await database.dataSource.getRepository(AuditEvent).find({ where: { requestId }, order: { id: 'ASC' } });
    return { body, events };
  }

  it('records a mutation refused by @Authorized as DENIED, with the caller and redacted arguments', async () => {
    const { body, events } = await execute('mutation { rotateSigningKey(apiKey: "ph_live_123456") }', principal(Role.VIEWER));
    expect(body?.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: 'rotateSigningKey', outcome: 'DENIED', errorCode: 'FORBIDDEN', actorSubject: 'key:viewer', actorName: 'VIEWER key', actorRole: 'VIEWER', clientIp: '10.0.0.5',
    });
    expect(JSON.parse(events[0].details!)).toEqual({ arguments: { apiKey: '[REDACTED]' } });
  });

  it('records a FORBIDDEN raised by a department check as DENIED', async () => {
    const scoped = principal(Role.DEPARTMENT_IT, [1]);
    const refused = await execute('mutation { touchDepartment(departmentId: 2) }', scoped);
    expect(refused.body?.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(refused.events.map((event) => [event.outcome, event.errorCode, event.actorRole])).toEqual([['DENIED', 'FORBIDDEN', 'DEPARTMENT_IT']]);
    const allowed = await execute('mutation { touchDepartment(departmentId: 1) }', scoped);
    expect(allowed.body?.errors).toBeUndefined();
    expect(allowed.events.map((event) => [event.outcome, event.errorCode])).toEqual([['SUCCESS', null]]);
  });

  it('lets an administrator through and records SUCCESS', async () => {
    const { body, events } = await execute('mutation { rotateSigningKey(apiKey: "ph_live_654321") }', principal(Role.ADMIN));
    expect(body?.data).toEqual({ rotateSigningKey: true });
    expect(events.map((event) => [event.action, event.outcome, event.actorRole])).toEqual([['rotateSigningKey', 'SUCCESS', 'ADMIN']]);
    expect(events[0].details).not.toContain('654321');
  });

  it('shows the audit log to administrators only, and records no query', async () => {
    for (const role of [Role.VIEWER, Role.ANALYST, Role.DEPARTMENT_IT]) {
      const { body, events } = await execute('{ auditEvents(first: 5) { totalCount } }', principal(role));
      expect(body?.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(events).toEqual([]);
    }
    const { body } = await execute('{ auditEvents(first: 5) { totalCount } }', principal(Role.ADMIN));
    expect(body?.errors).toBeUndefined();
    expect(body?.data).toEqual({ auditEvents: { totalCount: 4 } });
  });
});

describe('redactForAudit', () => {
  it('replaces every credential-like value, keeping secret names', () => {
    expect(
      redactForAudit({
        input: {
          name: 'Sở Y tế',
          secrets: [{ name: 'token', value: 's1' }, { name: 'password', value: 's2' }],
          config: { headers: { Authorization: 'Bearer abc', 'x-api-key': 'k' }, user: 'reader', password: 'p', nested: { accessToken: 't', refresh_token: 42 } },
        },
        key: 'raw-key',
        keyName: 'dashboard',
      }),
    ).toEqual({
      input: {
        name: 'Sở Y tế',
        secrets: [{ name: 'token', value: '[REDACTED]' }, { name: 'password', value: '[REDACTED]' }],
        config: { headers: { Authorization: '[REDACTED]', 'x-api-key': '[REDACTED]' }, user: 'reader', password: '[REDACTED]', nested: { accessToken: '[REDACTED]', refresh_token: '[REDACTED]' } },
      },
      key: '[REDACTED]',
      keyName: 'dashboard',
    });
  });

  it('shortens long lists and strings', () => {
    const rows = Array.from({ length: 25 }, (_, index) => ({ value: index }));
    const redacted = redactForAudit({ rows, note: 'x'.repeat(2_500) }) as { rows: unknown[]; note: string };
    expect(redacted.rows).toHaveLength(21);
    expect(redacted.rows[19]).toEqual({ value: 19 });
    expect(redacted.rows[20]).toBe('… 5 more');
    expect(redacted.note).toHaveLength(2_001);
  });
});

describe('recordAuditEvent', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase({ seed: false });
  });
  afterAll(async () => {
    await closeDatabase(database.dataSource);
  });

  it('stores one event with redacted details and says so', async () => {
    const stored = await recordAuditEvent(database.dataSource, {
      actor: { subject: 'key:3', name: 'Export key', role: Role.ANALYST },
      action: 'export.series',
      target: { type: 'metric', id: 'DVC_ONLINE_RATE' },
      outcome: AuditOutcome.SUCCESS,
      errorCode: 'IGNORED_ON_SUCCESS',
      requestId: 'req-1',
      details: { from: '2024-01', to: '2024-03', rows: 1234, token: 'abc' },
    });
    expect(stored).toBe(true);
    const rows = await database.dataSource.getRepository(AuditEvent).find();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actorSubject: 'key:3', actorRole: 'ANALYST', action: 'export.series', targetType: 'metric', targetId: 'DVC_ONLINE_RATE', outcome: 'SUCCESS', errorCode: null, requestId: 'req-1', clientIp: null });
    expect(JSON.parse(rows[0].details!)).toEqual({ from: '2024-01', to: '2024-03', rows: 1234, token: '[REDACTED]' });
  });

  it('shortens details over 8 KB (counted in bytes), and replaces them by a marker when that is not enough', async () => {
    // 20 notes of 2,000 three-byte characters: 40,000 characters, 120,000 bytes.
    const notes = Array.from({ length: 20 }, () => 'ệ'.repeat(2_000));
    expect(await recordAuditEvent(database.dataSource, { actor: SCHEDULER_ACTOR, action: 'large', outcome: AuditOutcome.SUCCESS, details: { notes } })).toBe(true);
    const row = await database.dataSource.getRepository(AuditEvent).findOneByOrFail({ action: 'large' });
    expect(Buffer.byteLength(row.details!, 'utf8')).toBeLessThanOrEqual(8 * 1024);
    expect(JSON.parse(row.details!)).toEqual({
      notes: [...Array.from({ length: 5 }, () => `${'ệ'.repeat(200)}…`), '… 15 more'],
      truncated: true,
      bytes: Buffer.byteLength(JSON.stringify({ notes }), 'utf8'),
    });
    // 3,000 keys of 2,000 characters each: even shortened over the limit; the marker names the top-level keys.
    const wide = { variables: Object.fromEntries(Array.from({ length: 3_000 }, (_, index) => [`${'k'.repeat(1_990)}${index}`, 1])) };
    expect(await recordAuditEvent(database.dataSource, { actor: SCHEDULER_ACTOR, action: 'wide', outcome: AuditOutcome.SUCCESS, details: wide })).toBe(true);
    const marker = await database.dataSource.getRepository(AuditEvent).findOneByOrFail({ action: 'wide' });
    expect(JSON.parse(marker.details!)).toEqual({ truncated: true, bytes: expect.any(Number), keys: ['variables'] });
  });

  it('never throws: a failed write goes to the registered handler and returns false', async () => {
    const failures: Array<{ error: unknown; actions: string[] }> = [];
    onAuditWriteFailure(database.dataSource, (error, events) => failures.push({ error, actions: events.map((event) => event.action) }));
    await database.dataSource.query('DROP TABLE audit_event');
    const stored = await recordAuditEvent(database.dataSource, { actor: SCHEDULER_ACTOR, action: 'connector.run.scheduled', outcome: AuditOutcome.SUCCESS });
    expect(stored).toBe(false);
    expect(failures.map((failure) => failure.actions)).toEqual([['connector.run.scheduled']]);
    expect(String(failures[0].error)).toContain('audit_event');
  });
});
