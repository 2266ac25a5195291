/**
 * The audit log: every mutation (success, failure, refusal before execution), pushes to /ingest and scheduled
 * runs leave one record with actor, target and redacted arguments; ADMIN reads it through `auditEvents`; the
 * API has no way to change it; a failing audit write never fails the action it describes.
 */
import { ConnectorRun } from '../../src/modules/connectors/connector-run.entity';
import { PilotModel } from '../../src/modules/catalogue/pilot-model.entity';
import { Role } from '../../src/security/principal';
import { AuditEvent } from '../../src/security/audit-event.entity';
import { dataOf, errorOf, type Page, databaseIdOf } from '../helpers/api';
import { createKey, type CreatedKey } from '../helpers/auth';
import { startTestHub, type TestHub } from '../helpers/test-hub';

const SECRET = 'audit-test-secret-4f9c2a';
const SECRET_UPDATED = 'audit-test-secret-rotated-77e1';
const ACTOR = 'Sở Y tế';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A DHIS2 connector whose server cannot be reached (nothing listens on port 9). */
/** Nothing listens there (port 9, discard): runs fail fast; the host is allowlisted like a real server. */
const DHIS2_SERVER = 'http://127.0.0.1:9';
const unreachableDhis2 = (name: string, schedule = '0 2 * * *') => ({
  name,
  kind: 'dhis2',
  department: 'NHCSXH',
  schedule,
  config: { baseUrl: `${DHIS2_SERVER}/nhcsxh`, dataSet: 'LOANS' },
  mapping: { metric: { constant: 'LOANS_UNSECURED_COUNT' }, unit: { field: 'orgUnit' }, period: { field: 'period', transform: 'dhis2Period' }, value: { field: 'value' } },
});

type Details = { arguments?: Record<string, unknown>; [key: string]: unknown };

describe('audit log', () => {
  let hub: TestHub;
  let requestNumber = 0;

  let actorKey: CreatedKey;
  /**
   * What the hub did, in order: `sent <request id>` once a response has been sent (pino-http logs "request
   * completed" then), and whatever a test adds while it watches the hub's statements.
   */
  const hubEvents: string[] = [];
  beforeAll(async () => {
    const logDestination = {
      write(line: string) {
        const entry = JSON.parse(line) as { msg?: string; req?: { id?: string } };
        if (entry.msg === 'request completed' && entry.req?.id) hubEvents.push(`sent ${entry.req.id}`);
      },
    };
    hub = await startTestHub({ allowServers: [DHIS2_SERVER], logDestination });
    // An administrator key named after the department office: its name is the recorded actor.
    actorKey = await createKey(hub, Role.ADMIN, [], ACTOR);
  });
  afterAll(async () => {
    await hub.close();
  });

  const audit = () => hub.dataSource.getRepository(AuditEvent);

  /** Sends a mutation as "Sở Y tế" with a fresh request id; returns the response and that id. */
  async function send<T>(query: string, variables?: Record<string, unknown>) {
    requestNumber += 1;
    const requestId = `audit-${requestNumber}`;
    const before = Date.now();
    const response = await hub.graphql<T>(query, variables, { ...actorKey.headers, 'x-request-id': requestId });
    return { response, requestId, before, after: Date.now() };
  }

  /** The one audit row of a request (fails unless there is exactly one). */
  async function onlyEventOf(requestId: string): Promise<AuditEvent & { parsed: Details }> {
    const rows = await audit().find({ where: { requestId }, order: { id: 'ASC' } });
    expect(rows).toHaveLength(1);
    return { ...rows[0], parsed: JSON.parse(rows[0].details ?? 'null') as Details };
  }

  describe('records', () => {
    let dhis2Id: string;
    let pushId: string;

    it('every kind of mutation leaves exactly one SUCCESS record with actor, time, target and arguments', async () => {
      const expectSuccess = async (
        sent: Awaited<ReturnType<typeof send>>,
        action: string,
        target: [string, string],
        argumentsExpected: Record<string, unknown>,
      ) => {
        expect(sent.response.errors).toBeUndefined();
        const event = await onlyEventOf(sent.requestId);
        expect(event).toMatchObject({
          action,
          outcome: 'SUCCESS',
          errorCode: null,
          actorSubject: `key:${databaseIdOf(actorKey.id)}`,
          actorName: ACTOR,
          actorRole: 'ADMIN',
          targetType: target[0],
          targetId: target[1],
        });
        expect(event.clientIp).toMatch(/127\.0\.0\.1$/);
        // Server time with millisecond precision, between sending and receiving.
        expect(event.at.getTime()).toBeGreaterThanOrEqual(sent.before);
        expect(event.at.getTime()).toBeLessThanOrEqual(sent.after);
        expect(event.parsed.arguments).toEqual(argumentsExpected);
        return event;
      };

      await expectSuccess(
        await send('mutation { updatePilotModelStatus(code: "M03", status: COMPLETED, note: "All hospitals accept chip-ID") { code } }'),
        'updatePilotModelStatus',
        ['pilotModel', 'M03'],
        { code: 'M03', status: 'COMPLETED', note: 'All hospitals accept chip-ID' },
      );
      await expectSuccess(
        await send('mutation($input: AccountabilityUpdate!) { updatePilotModel(code: "M04", input: $input) { code } }', { input: { responsiblePerson: 'Nguyễn Văn An' } }),
        'updatePilotModel',
        ['pilotModel', 'M04'],
        { code: 'M04', input: { responsiblePerson: 'Nguyễn Văn An' } },
      );
      await expectSuccess(
        await send('mutation { updateTaskStatus(code: "T01.01", status: IN_PROGRESS, note: "restarted") { code } }'),
        'updateTaskStatus',
        ['task', 'T01.01'],
        { code: 'T01.01', status: 'IN_PROGRESS', note: 'restarted' },
      );
      await expectSuccess(
        await send('mutation { updateTask(code: "T01.02", input: { deadline: "2024-06-30" }) { code } }'),
        'updateTask',
        ['task', 'T01.02'],
        { code: 'T01.02', input: { deadline: '2024-06-30' } },
      );
      await expectSuccess(
        await send('mutation { setMetricTarget(code: "DVC_ONLINE_RATE", targetValue: 90, targetDate: "2025-12-31") { code } }'),
        'setMetricTarget',
        ['metric', 'DVC_ONLINE_RATE'],
        { code: 'DVC_ONLINE_RATE', targetValue: 90, targetDate: '2025-12-31' },
      );

      const definition = { ...unreachableDhis2('Audited DHIS2'), secrets: [{ name: 'token', value: SECRET }] };
      const registered = await send<{ registerConnector: { id: string } }>('mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }', { input: definition });
      dhis2Id = registered.response.data!.registerConnector.id;
      // The secret's name is kept, its value never.
      // Arguments as applied, defaults included.
      await expectSuccess(registered, 'registerConnector', ['connector', String(databaseIdOf(dhis2Id))], { input: { ...definition, enabled: true, secrets: [{ name: 'token', value: '[REDACTED]' }] } });

      await expectSuccess(
        await send('mutation($id: ID!, $input: ConnectorUpdateInput!) { updateConnector(id: $id, input: $input) { id } }', {
          id: dhis2Id,
          input: { lookbackDays: 5, secrets: [{ name: 'token', value: SECRET_UPDATED }] },
        }),
        'updateConnector',
        ['connector', String(databaseIdOf(dhis2Id))],
        { id: dhis2Id, input: { lookbackDays: 5, secrets: [{ name: 'token', value: '[REDACTED]' }] } },
      );

      const tested = await expectSuccess(await send(`mutation { testConnector(id: "${dhis2Id}") { ok } }`), 'testConnector', ['connector', String(databaseIdOf(dhis2Id))], { id: dhis2Id });
      expect(tested.parsed.ok).toBe(false);

      const ran = await send<{ runConnector: { id: string } }>(`mutation { runConnector(id: "${dhis2Id}", wait: true) { id status } }`);
      const runEvent = await expectSuccess(ran, 'runConnector', ['connector', String(databaseIdOf(dhis2Id))], { id: dhis2Id, wait: true });
      expect(runEvent.parsed.runId).toBe(databaseIdOf(ran.response.data!.runConnector.id));

      await expectSuccess(
        await send(`mutation { setConnectorEnabled(id: "${dhis2Id}", enabled: false) { id } }`),
        'setConnectorEnabled',
        ['connector', String(databaseIdOf(dhis2Id))],
        { id: dhis2Id, enabled: false },
      );

      const push = await send<{ registerConnector: { id: string } }>('mutation { registerConnector(input: { name: "Audited push", kind: "push", department: "SO_YT", config: {} }) { id } }');
      pushId = push.response.data!.registerConnector.id;
      await expectSuccess(push, 'registerConnector', ['connector', String(databaseIdOf(pushId))], { input: { name: 'Audited push', kind: 'push', department: 'SO_YT', config: {}, enabled: true } });

      const rows = [
        { metric: 'KCB_BIOMETRIC_VISITS', unit: '412', period: '2024-05-01', value: 120 },
        { metric: 'KCB_BIOMETRIC_VISITS', unit: '412', period: '2024-05-02', value: -1 },
      ];
      const submitted = await send<{ submitObservations: { run: { id: string } } }>(
        'mutation($id: ID!, $rows: [ObservationInput!]!) { submitObservations(connectorId: $id, rows: $rows) { run { id } } }',
        { id: pushId, rows },
      );
      const pushEvent = await expectSuccess(submitted, 'submitObservations', ['connector', String(databaseIdOf(pushId))], { connectorId: pushId, rows });
      expect(pushEvent.parsed.runId).toBe(databaseIdOf(submitted.response.data!.submitObservations.run.id));
      expect(pushEvent.parsed.summary).toEqual({ fetched: 2, imported: 1, updated: 0, unchanged: 0, rejected: 1 });

      await expectSuccess(await send(`mutation { deleteConnector(id: "${dhis2Id}") }`), 'deleteConnector', ['connector', String(databaseIdOf(dhis2Id))], { id: dhis2Id });

      // One record per mutation (and the creation of the actor's key), nothing else.
      expect(await audit().count()).toBe(requestNumber + 1);
    });

    it('never stores a connector secret value', async () => {
      const rows: unknown[] = await hub.dataSource.query('SELECT * FROM audit_event');
      expect(rows.length).toBeGreaterThan(0);
      const text = JSON.stringify(rows);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(SECRET_UPDATED);
      expect(text).toContain('[REDACTED]');
    });

    it('records a failing mutation as FAILURE with the code sent, though its transaction rolled back', async () => {
      const missing = await send('mutation { updatePilotModelStatus(code: "M99", status: COMPLETED, note: "x") { code } }');
      expect(missing.response.errors?.[0].extensions?.code).toBe('NOT_FOUND');
      expect(await onlyEventOf(missing.requestId)).toMatchObject({
        action: 'updatePilotModelStatus', outcome: 'FAILURE', errorCode: 'NOT_FOUND', targetType: 'pilotModel', targetId: 'M99', actorName: ACTOR,
      });

      // The name check runs inside the registration's transaction, which is rolled back.
      const duplicate = await send('mutation { registerConnector(input: { name: "Audited push", kind: "push", department: "SO_YT", config: {} }) { id } }');
      expect(duplicate.response.errors?.[0].extensions?.code).toBe('CONFLICT');
      const conflict = await onlyEventOf(duplicate.requestId);
      expect(conflict).toMatchObject({ action: 'registerConnector', outcome: 'FAILURE', errorCode: 'CONFLICT', targetType: 'connector', targetId: null });
      expect(conflict.parsed.arguments).toEqual({ input: { name: 'Audited push', kind: 'push', department: 'SO_YT', config: {}, enabled: true } });
    });

    it('records a mutation refused before it ran (invalid argument) as FAILURE with the variables sent', async () => {
      const refused = await send('mutation($status: ProgressStatus!) { updatePilotModelStatus(code: "M05", status: $status, note: "x") { code } }', { status: 'DONE' });
      expect(refused.response.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      const event = await onlyEventOf(refused.requestId);
      expect(event).toMatchObject({ action: 'updatePilotModelStatus', outcome: 'FAILURE', errorCode: 'BAD_USER_INPUT', targetType: null });
      expect(event.parsed).toMatchObject({ notExecuted: true, variables: { status: 'DONE' } });
      expect((await hub.dataSource.getRepository(PilotModel).findOneByOrFail({ code: 'M05' })).status).not.toBe('DONE');

      // graphql-js quotes an invalid value in its message: a malformed secret must not reach the record that way.
      const malformed = await send('mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }', {
        input: { ...unreachableDhis2('Malformed secret'), secrets: [{ name: 'token', value: 9081726354 }] },
      });
      expect(malformed.response.errors?.[0].message).toContain('9081726354');
      const stored = await onlyEventOf(malformed.requestId);
      expect(stored).toMatchObject({ action: 'registerConnector', outcome: 'FAILURE', errorCode: 'BAD_USER_INPUT' });
      expect(stored.details).not.toContain('9081726354');
      expect(stored.parsed).toMatchObject({ notExecuted: true, variables: { input: { name: 'Malformed secret', secrets: [{ name: 'token', value: '[REDACTED]' }] } } });
    });

    it('records each mutation of a multi-field operation on its own', async () => {
      const sent = await send(`mutation {
        first: updatePilotModelStatus(code: "M06", status: IN_PROGRESS, note: "one") { code }
        second: updatePilotModelStatus(code: "M98", status: IN_PROGRESS, note: "two") { code }
      }`);
      const rows = await audit().find({ where: { requestId: sent.requestId }, order: { id: 'ASC' } });
      expect(rows.map((row) => [row.action, row.targetId, row.outcome, row.errorCode])).toEqual([
        ['updatePilotModelStatus', 'M06', 'SUCCESS', null],
        ['updatePilotModelStatus', 'M98', 'FAILURE', 'NOT_FOUND'],
      ]);
    });

    it('records nothing for queries', async () => {
      const before = await audit().count();
      await dataOf(hub, '{ program(code: "DA06") { code } connectors(first: 5) { totalCount } }');
      expect(await audit().count()).toBe(before);
    });

    it('records pushes to POST /ingest/<id>, refused ones too, before answering', async () => {
      const post = (id: string, body: string, requestId: string) =>
        fetch(`http://127.0.0.1:${hub.hub.port}/ingest/${id}`, {
          method: 'POST',
          headers: { ...actorKey.headers, 'content-type': 'text/csv', 'x-request-id': requestId },
          body,
        });
      const accepted = await post(pushId, 'metric,unit,period,value\nKCB_BIOMETRIC_VISITS,412,2024-05-03,57\n', 'ingest-ok');
      expect(accepted.status).toBe(200);
      const result = (await accepted.json()) as { run: { id: string } };
      const event = await onlyEventOf('ingest-ok');
      expect(event).toMatchObject({ action: 'ingest.push', outcome: 'SUCCESS', errorCode: null, targetType: 'connector', targetId: String(databaseIdOf(pushId)), actorName: ACTOR });
      expect(event.parsed).toMatchObject({ contentType: 'text/csv', runId: result.run.id, runStatus: 'SUCCEEDED', summary: { fetched: 1, imported: 1 } });

      const unknown = await post('999999', 'metric,unit,period,value\n', 'ingest-missing');
      expect(unknown.status).toBe(404);
      expect(await onlyEventOf('ingest-missing')).toMatchObject({ action: 'ingest.push', outcome: 'FAILURE', errorCode: 'NOT_FOUND', targetId: '999999' });
    });

    it('records exports and report downloads with the caller, the arguments and the outcome', async () => {
      const get = (path: string, requestId: string, headers = actorKey.headers) =>
        fetch(`http://127.0.0.1:${hub.hub.port}${path}`, { headers: { ...headers, 'x-request-id': requestId } });
      const series = await get('/export/series?metrics=KCB_BIOMETRIC_VISITS&from=2024-01&to=2024-02&granularity=MONTH', 'export-ok');
      expect(series.status).toBe(200);
      await series.text();
      const exported = await onlyEventOf('export-ok');
      expect(exported).toMatchObject({ action: 'export.analytics', outcome: 'SUCCESS', targetType: 'export', targetId: 'series', actorName: ACTOR });
      expect(exported.parsed).toMatchObject({ method: 'GET', query: { metrics: 'KCB_BIOMETRIC_VISITS', from: '2024-01', to: '2024-02', granularity: 'MONTH' } });

      const report = await get('/reports/progress.csv?period=2024-Q1&asOf=2024-04-02', 'report-ok');
      expect(report.status).toBe(200);
      await report.text();
      expect(await onlyEventOf('report-ok')).toMatchObject({ action: 'export.progressReport', outcome: 'SUCCESS', targetType: 'report', targetId: '2024-Q1', actorName: ACTOR });

      // A viewer may not export: the refusal is recorded as DENIED.
      const viewer = await createKey(hub, Role.VIEWER, [], 'Audited viewer');
      const refused = await get('/export/series?metrics=KCB_BIOMETRIC_VISITS&from=2024-01&to=2024-02&granularity=MONTH', 'export-denied', viewer.headers);
      expect(refused.status).toBe(403);
      await refused.text();
      expect(await onlyEventOf('export-denied')).toMatchObject({ action: 'export.analytics', outcome: 'DENIED', errorCode: 'FORBIDDEN', actorName: 'Audited viewer' });
    });

    it('stores the event of an export or a report download before the response is sent, with the arguments of a POST export', async () => {
      // Each audit INSERT of these requests joins hubEvents as its statement goes out.
      const logQuery = hub.counter.logQuery.bind(hub.counter);
      hub.counter.logQuery = (query: string, parameters?: unknown[]) => {
        const requestId = parameters?.find((parameter) => typeof parameter === 'string' && parameter.startsWith('download-'));
        if (/insert into\s+["`]audit_event["`]/i.test(query) && requestId) hubEvents.push(`stored ${String(requestId)}`);
        logQuery(query);
      };
      const body = { metrics: ['KCB_BIOMETRIC_VISITS'], groupBy: ['DEPARTMENT', 'UNIT'], level: 'DISTRICT', from: '2024-Q1', to: '2024-Q1' };
      try {
        const request = async (path: string, requestId: string, init: RequestInit = {}) => {
          const response = await fetch(`http://127.0.0.1:${hub.hub.port}${path}`, { ...init, headers: { ...actorKey.headers, 'x-request-id': requestId, ...init.headers } });
          await response.text();
          return response.status;
        };
        expect(await request('/export/series?metrics=KCB_BIOMETRIC_VISITS&from=2024-01&to=2024-02&granularity=MONTH', 'download-get')).toBe(200);
        expect(await request('/export/aggregate', 'download-post', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).toBe(200);
        expect(await request('/reports/progress.md?period=2024-Q1', 'download-report')).toBe(200);
        expect(await request('/export/series?metrics=NO_SUCH_METRIC&from=2024-01&to=2024-02&granularity=MONTH', 'download-failed')).toBe(404);
      } finally {
        hub.counter.logQuery = logQuery;
      }
      // Every response went out after its event was stored (the order the hub did things in, not arrival times).
      expect(hubEvents.filter((event) => event.includes(' download-'))).toEqual(
        ['download-get', 'download-post', 'download-report', 'download-failed'].flatMap((id) => [`stored ${id}`, `sent ${id}`]),
      );
      // The POST export's arguments are in its event, as sent.
      const posted = await onlyEventOf('download-post');
      expect(posted).toMatchObject({ action: 'export.analytics', outcome: 'SUCCESS', targetId: 'aggregate', actorName: ACTOR });
      expect(posted.parsed).toMatchObject({ method: 'POST', arguments: body });
      expect((await onlyEventOf('download-failed')).parsed).toMatchObject({ method: 'GET', query: { metrics: 'NO_SUCH_METRIC' } });
    });

    it('records runs started by a schedule, as the scheduler', async () => {
      const registered = await dataOf<{ registerConnector: { id: string } }>(hub, 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }', {
        input: unreachableDhis2('Every second', '* * * * * *'),
      });
      const id = registered.registerConnector.id;
      let events: AuditEvent[] = [];
      for (const deadline = Date.now() + 10_000; events.length === 0 && Date.now() < deadline; await sleep(100)) {
        events = await audit().findBy({ action: 'connector.run.scheduled', targetId: String(databaseIdOf(id)) });
      }
      await dataOf(hub, `mutation { setConnectorEnabled(id: "${id}", enabled: false) { id } }`);
      expect(events.length).toBeGreaterThan(0);
      const event = events[0];
      expect(event).toMatchObject({ actorSubject: 'system', actorName: 'scheduler', actorRole: null, targetType: 'connector', outcome: 'SUCCESS', requestId: null });
      const details = JSON.parse(event.details!) as { runId: number; scheduledFor: string };
      const run = await hub.dataSource.getRepository(ConnectorRun).findOneByOrFail({ id: details.runId });
      expect(run).toMatchObject({ connectorId: databaseIdOf(id), trigger: 'SCHEDULE' });
      expect(new Date(details.scheduledFor).getTime()).toBe(run.scheduledFor!.getTime());
    });
  });

  describe('auditEvents', () => {
    interface Node { id: string; at: string; action: string; actorSubject: string; targetType: string | null; targetId: string | null; outcome: string; errorCode: string | null; details: Details | null }
    const QUERY = `query($filter: AuditEventFilter, $first: Int, $after: String) {
      auditEvents(filter: $filter, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
        edges { cursor node { id: databaseId at action actorSubject targetType targetId outcome errorCode details } }
      }
    }`;
    const page = async (variables: Record<string, unknown>) => (await dataOf<{ auditEvents: Page<Node> }>(hub, QUERY, variables)).auditEvents;
    const idsWhere = async (sql: string, parameters: unknown[] = []) =>
      ((await hub.dataSource.query(`SELECT id FROM audit_event ${sql} ORDER BY id DESC`, parameters)) as Array<{ id: number | string }>).map((row) => String(row.id));

    it('lists every event newest first, page by page', async () => {
      const all = await idsWhere('');
      expect(all.length).toBeGreaterThan(10);
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const result: Page<Node> = await page({ first: 4, after });
        expect(result.totalCount).toBe(all.length);
        seen.push(...result.edges.map((edge) => String(edge.node.id)));
        if (!result.pageInfo.hasNextPage) break;
        after = result.pageInfo.endCursor;
      }
      expect(seen).toEqual(all);
    });

    it.each([
      [{ action: 'registerConnector' }, "WHERE action = 'registerConnector'"],
      [{ outcome: 'FAILURE' }, "WHERE outcome = 'FAILURE'"],
      [{ actorSubject: 'system' }, "WHERE actorSubject = 'system'"],
      [{ targetType: 'pilotModel', targetId: 'M03' }, "WHERE targetType = 'pilotModel' AND targetId = 'M03'"],
      [{ action: 'updatePilotModelStatus', outcome: 'SUCCESS' }, "WHERE action = 'updatePilotModelStatus' AND outcome = 'SUCCESS'"],
    ])('filters by %j', async (filter, where) => {
      const expected = await idsWhere(where);
      expect(expected.length).toBeGreaterThan(0);
      const result = await page({ filter, first: 100 });
      expect(result.totalCount).toBe(expected.length);
      expect(result.edges.map((edge) => String(edge.node.id))).toEqual(expected);
    });

    it('filters by time: from inclusive, to exclusive', async () => {
      const events = await audit().find({ order: { id: 'ASC' } });
      const pivot = events[Math.floor(events.length / 2)];
      const from = await page({ filter: { from: pivot.at.toISOString() }, first: 500 });
      const to = await page({ filter: { to: pivot.at.toISOString() }, first: 500 });
      expect(from.totalCount).toBe(events.filter((event) => event.at.getTime() >= pivot.at.getTime()).length);
      expect(to.totalCount).toBe(events.filter((event) => event.at.getTime() < pivot.at.getTime()).length);
      expect(from.edges.map((edge) => String(edge.node.id))).toContain(String(pivot.id));
      expect(to.edges.map((edge) => String(edge.node.id))).not.toContain(String(pivot.id));
      expect(from.totalCount + to.totalCount).toBe(events.length);
    });

    it('returns details as JSON with credentials redacted', async () => {
      const result = await page({ filter: { action: 'updateConnector' }, first: 1 });
      expect(result.edges[0].node.details?.arguments).toMatchObject({ input: { secrets: [{ name: 'token', value: '[REDACTED]' }] } });
    });

    it('refuses from after to', async () => {
      const error = await errorOf(hub, QUERY, { filter: { from: '2025-01-02T00:00:00Z', to: '2025-01-01T00:00:00Z' } });
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.message.startsWith('filter.from:')).toBe(true);
    });

    it('offers no mutation that could change or remove an audit record', async () => {
      const schema = await dataOf<{ __schema: { mutationType: { fields: Array<{ name: string }> } } }>(hub, '{ __schema { mutationType { fields { name } } } }');
      const names = schema.__schema.mutationType.fields.map((field) => field.name);
      expect(names.length).toBeGreaterThan(5);
      expect(names.filter((name) => /audit/i.test(name))).toEqual([]);
    });
  });
});

describe('audit log write failures', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ allowServers: [DHIS2_SERVER] });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('a committed mutation still succeeds when its audit record cannot be stored; the loss is counted', async () => {
    await hub.dataSource.query('DROP TABLE audit_event');
    const data = await dataOf<{ updatePilotModelStatus: { status: string } }>(hub, 'mutation { updatePilotModelStatus(code: "M07", status: COMPLETED, note: "done") { status } }');
    expect(data.updatePilotModelStatus.status).toBe('COMPLETED');
    expect((await hub.dataSource.getRepository(PilotModel).findOneByOrFail({ code: 'M07' })).status).toBe('COMPLETED');
    const metrics = await (await fetch(`http://127.0.0.1:${hub.hub.port}/metrics`, { headers: hub.headers })).text();
    expect(metrics).toMatch(/^pilothub_audit_write_failures_total 1$/m);
  });
});
