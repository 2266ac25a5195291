/**
 * Per-department reach and fair schedules: allowlist entries serve the departments they are granted to (or, granted
 * to none, only connectors an administrator configured), checked at registration, change, test, every run and every
 * connection of a run; department staff cannot schedule a connector more often than MIN_SCHEDULE_MINUTES; two pulled
 * runs of one connector never run at once. Also connector names (unique per department, NFC, byte for byte) and who
 * may read /metrics. Real feed servers and the real database of each project (SQLite, MariaDB).
 */
import { startTestServer, type TestServer } from '../../connectors/sdk/testing';
import { RunInProgressError } from '../../src/ingestion/connector-runner';
import { ConnectorRun, ConnectorRunLock } from '../../src/modules/connectors/connector-run.entity';
import { Connector, RunStatus, RunTrigger } from '../../src/modules/connectors/connector.entity';
import { ensureOutboundHost } from '../../src/modules/outbound/outbound-host.service';
import { AuditEvent } from '../../src/security/audit-event.entity';
import { Role } from '../../src/security/principal';
import { fromGlobalId } from '../../src/graphql/node-id';
import { dataOf, errorOf, databaseIdOf } from '../helpers/api';
import { createKey } from '../helpers/auth';
import { hostOf } from '../helpers/outbound';
import { startTestHub, type TestHub } from '../helpers/test-hub';

const REGISTER = 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id name } }';
const UPDATE = 'mutation($id: ID!, $input: ConnectorUpdateInput!) { updateConnector(id: $id, input: $input) { id name schedule } }';
const RUN = 'mutation($id: ID!) { runConnector(id: $id, from: "2024-08-01", to: "2024-08-01", wait: true) { status errorClass errorMessage } }';
const RUN_NOW = 'mutation($id: ID!) { runConnector(id: $id) { id status } }';
const TEST = 'mutation($id: ID!) { testConnector(id: $id) { ok message } }';
const SET_DEPARTMENTS = 'mutation($id: ID!, $departments: [String!]!) { setOutboundHostDepartments(id: $id, departments: $departments) { pattern departments { code } } }';
const HEALTH_MAPPING = { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'communeCode' }, period: { field: 'date' }, value: { field: 'visits' } };
const SCRAPE_KEY = 'scrape-0123456789abcdefghijklmnopqrstuvwxyz';

type Headers = Record<string, string>;

/** A feed that answers at once, or holds every request until `release()` when `hold()` was called. */
async function feedServer(): Promise<TestServer & { hold(): void; release(): void }> {
  let gate: Promise<void> | null = null;
  let open = () => {};
  const server = await startTestServer(async (_req, res) => {
    if (gate) await gate;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"data":[]}');
  });
  return Object.assign(server, {
    hold() {
      gate = new Promise<void>((resolve) => (open = resolve));
    },
    release() {
      gate = null;
      open();
    },
  });
}

describe('per-department reach, schedules and runs', () => {
  let hub: TestHub;
  let transport: Awaited<ReturnType<typeof feedServer>>;
  let health: Awaited<ReturnType<typeof feedServer>>;
  let shared: Awaited<ReturnType<typeof feedServer>>;
  let healthIt: Headers;
  let transportIt: Headers;
  let entries: Record<'transport' | 'health' | 'shared', number>;
  let counter = 0;

  const pull = (url: string, extra: Record<string, unknown> = {}) => ({
    name: `Feed ${++counter}`, kind: 'http-json', department: 'SO_YT', schedule: '0 17 * * *', enabled: false,
    config: { url, recordsPath: 'data' }, mapping: HEALTH_MAPPING, ...extra,
  });
  const register = async (input: Record<string, unknown>, headers?: Headers) =>
    (await dataOf<{ registerConnector: { id: string } }>(hub, REGISTER, { input }, headers)).registerConnector.id;
  const run = async (id: string, headers?: Headers) => (await dataOf<{ runConnector: { status: string; errorClass: string | null; errorMessage: string | null } }>(hub, RUN, { id }, headers)).runConnector;
  const waitForEnd = async (runId: string) => {
    for (let tries = 0; tries < 200; tries += 1) {
      const found = await hub.dataSource.getRepository(ConnectorRun).findOneByOrFail({ id: databaseIdOf(runId) });
      const lock = await hub.dataSource.getRepository(ConnectorRunLock).findOneBy({ runId: databaseIdOf(runId) });
      if (found.status !== RunStatus.RUNNING && !lock) return found;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`run ${runId} did not end`);
  };

  beforeAll(async () => {
    [transport, health, shared] = await Promise.all([feedServer(), feedServer(), feedServer()]);
    hub = await startTestHub();
    const entry = async (url: string, departments: string[]) =>
      (await ensureOutboundHost(hub.dataSource, { pattern: hostOf(url), allowPrivate: true, note: 'test feed', departments }, 'test')).id;
    entries = { transport: await entry(transport.url, ['SO_GTVT']), health: await entry(health.url, ['SO_YT']), shared: await entry(shared.url, []) };
    healthIt = (await createKey(hub, Role.DEPARTMENT_IT, ['SO_YT'])).headers;
    transportIt = (await createKey(hub, Role.DEPARTMENT_IT, ['SO_GTVT'])).headers;
  });
  afterAll(async () => {
    await hub?.close();
    await Promise.all([transport, health, shared].map((server) => server?.close()));
  });

  describe('allowlist entries per department', () => {
    const refusedFor = (url: string) =>
      `host ${hostOf(url)} is not on the outbound allowlist of SO_YT; an administrator must add it for SO_YT (addOutboundHost with departments, or setOutboundHostDepartments)`;

    it('lists the departments of each entry, and only administrators set them', async () => {
      const listed = await dataOf<{ outboundHosts: Array<{ pattern: string; departments: Array<{ code: string }> }> }>(hub, '{ outboundHosts { pattern departments { code } } }');
      expect(listed.outboundHosts).toEqual(
        expect.arrayContaining([
          { pattern: hostOf(transport.url), departments: [{ code: 'SO_GTVT' }] },
          { pattern: hostOf(health.url), departments: [{ code: 'SO_YT' }] },
          { pattern: hostOf(shared.url), departments: [] },
        ]),
      );
      const refused = await hub.graphql(SET_DEPARTMENTS, { id: String(entries.transport), departments: ['SO_GTVT', 'SO_YT'] }, healthIt);
      expect(refused.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
      const unknown = await errorOf(hub, SET_DEPARTMENTS, { id: String(entries.transport), departments: ['SO_XX'] });
      expect(unknown.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'departments' });
      const added = await dataOf<{ addOutboundHost: { departments: Array<{ code: string }> } }>(
        hub,
        'mutation { addOutboundHost(input: { pattern: "data.soyt.example.gov.vn", departments: ["SO_YT", "SO_TP"] }) { departments { code } } }',
      );
      expect(added.addOutboundHost.departments).toEqual([{ code: 'SO_TP' }, { code: 'SO_YT' }]);
    });

    it("refuses a department's connector pointed at another department's feed: registration, change, test, run and redirect", async () => {
      // Registration by the department's own staff.
      const registered = await errorOf(hub, REGISTER, { input: pull(`${transport.url}/drive-tests`) }, healthIt);
      expect(registered.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.config.url' });
      expect(registered.message).toBe(`input.config.url: ${refusedFor(transport.url)}`);
      // An entry granted to no department is for connectors an administrator configured, not for department staff.
      expect((await errorOf(hub, REGISTER, { input: pull(`${shared.url}/x`) }, healthIt)).message).toBe(`input.config.url: ${refusedFor(shared.url)}`);
      // Even an administrator cannot give SO_YT a connector on SO_GTVT's entry.
      const byAdmin = await errorOf(hub, REGISTER, { input: pull(`${transport.url}/drive-tests`) });
      expect(byAdmin.message).toBe(`input.config.url: host ${hostOf(transport.url)} is not on the outbound allowlist of SO_YT; an administrator must add it (addOutboundHost, or CONNECTOR_ALLOWED_HOSTS)`);

      // Its own entry works; changing the URL to the other department's feed does not.
      const own = await register(pull(`${health.url}/visits`), healthIt);
      expect(await run(own, healthIt)).toMatchObject({ status: 'SUCCEEDED' });
      const changed = await errorOf(hub, UPDATE, { id: own, input: { config: { url: `${transport.url}/drive-tests`, recordsPath: 'data' } } }, healthIt);
      expect(changed.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.config.url' });

      // A connector written before the grant was taken away: tests and runs are refused, and nothing is requested.
      await dataOf(hub, SET_DEPARTMENTS, { id: String(entries.health), departments: ['SO_GTVT'] });
      const reached = health.requests.length;
      const tested = await errorOf(hub, TEST, { id: own }, healthIt);
      expect(tested.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'config.url' });
      expect(await run(own, healthIt)).toEqual({ status: 'FAILED', errorClass: 'OUTBOUND_BLOCKED', errorMessage: `config.url: ${refusedFor(health.url)}` });
      // The same when an administrator starts the run: the connector's department decides, not the caller.
      expect(await run(own)).toMatchObject({ status: 'FAILED', errorClass: 'OUTBOUND_BLOCKED' });
      expect(health.requests.length).toBe(reached);
      await dataOf(hub, SET_DEPARTMENTS, { id: String(entries.health), departments: ['SO_YT'] });
      expect(await run(own, healthIt)).toMatchObject({ status: 'SUCCEEDED' });
    });

    it('checks every connection of a run: a redirect to another department feed is refused', async () => {
      const redirecting = await startTestServer((_req, res) => {
        res.writeHead(302, { location: `${transport.url}/drive-tests` });
        res.end();
      });
      try {
        await ensureOutboundHost(hub.dataSource, { pattern: hostOf(redirecting.url), allowPrivate: true, departments: ['SO_YT'] }, 'test');
        const id = await register(pull(`${redirecting.url}/visits`), healthIt);
        const before = transport.requests.length;
        expect(await run(id, healthIt)).toEqual({
          status: 'FAILED',
          errorClass: 'OUTBOUND_BLOCKED',
          errorMessage: `redirect from ${redirecting.url}/visits to ${transport.url}/drive-tests refused: ${refusedFor(transport.url)}`,
        });
        expect(transport.requests.length).toBe(before);
      } finally {
        await redirecting.close();
      }
    });

    it('keeps entries granted to no department for connectors an administrator configured, until staff rewrite the configuration', async () => {
      const id = await register(pull(`${shared.url}/visits`));
      // Department staff may run, test and rename the administrator's connector…
      expect(await run(id, healthIt)).toMatchObject({ status: 'SUCCEEDED' });
      expect((await dataOf<{ testConnector: { ok: boolean } }>(hub, TEST, { id }, healthIt)).testConnector.ok).toBe(true);
      await dataOf(hub, UPDATE, { id, input: { name: `Renamed feed ${counter}` } }, healthIt);
      expect(await run(id, healthIt)).toMatchObject({ status: 'SUCCEEDED' });
      // …but a configuration they write must use an entry of their department.
      const rewritten = await errorOf(hub, UPDATE, { id, input: { config: { url: `${shared.url}/other`, recordsPath: 'data' } } }, healthIt);
      expect(rewritten.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.config.url' });
      expect(await hub.dataSource.getRepository(Connector).findOneByOrFail({ id: databaseIdOf(id) })).toMatchObject({ configuredByAdmin: true });
      // Granted to SO_YT, the entry serves its staff's configuration, and no longer the administrator's alone.
      await dataOf(hub, SET_DEPARTMENTS, { id: String(entries.shared), departments: ['SO_YT'] });
      await dataOf(hub, UPDATE, { id, input: { config: { url: `${shared.url}/other`, recordsPath: 'data' } } }, healthIt);
      expect(await hub.dataSource.getRepository(Connector).findOneByOrFail({ id: databaseIdOf(id) })).toMatchObject({ configuredByAdmin: false });
      expect(await run(id, healthIt)).toMatchObject({ status: 'SUCCEEDED' });
      await dataOf(hub, SET_DEPARTMENTS, { id: String(entries.shared), departments: [] });
      expect(await run(id, healthIt)).toMatchObject({ status: 'FAILED', errorClass: 'OUTBOUND_BLOCKED' });
    });
  });

  describe('schedules department staff set', () => {
    it.each([
      ['* * * * * *', '1 s'],
      ['*/30 * * * * *', '30 s'],
      ['0 * * * * *', '1 min'],
      ['* * * * *', '1 min'],
      ['*/4 * * * *', '4 min'],
      ['0-4 * * * *', '1 min'],
      ['0,3 9 * * *', '3 min'],
      ['0,58 0,23 * * *', '2 min'],
    ])('refuses %s (fires %s after a previous fire)', async (schedule, every) => {
      const refused = await errorOf(hub, REGISTER, { input: pull(`${health.url}/visits`, { schedule }) }, healthIt);
      expect(refused.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.schedule' });
      expect(refused.message).toMatch(new RegExp(`^input\\.schedule: "${schedule.replace(/[*]/g, '\\*')}" fires ${every} after a previous fire; a department's connector may fire at most every 5 min \\(MIN_SCHEDULE_MINUTES\\)`));
    });

    it.each(['*/5 * * * *', '0 17 * * *', '@hourly', '0 */10 * * * *', '0,5 9 * * *'])('accepts %s', async (schedule) => {
      expect(fromGlobalId(await register(pull(`${health.url}/visits`, { schedule }), healthIt))?.typeName).toBe('Connector');
    });

    it('applies to changes too; administrators are exempt, and staff keep a schedule they do not change', async () => {
      const id = await register(pull(`${health.url}/visits`), healthIt);
      const changed = await errorOf(hub, UPDATE, { id, input: { schedule: '*/2 * * * *' } }, healthIt);
      expect(changed.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.schedule' });
      const byAdmin = await dataOf<{ updateConnector: { schedule: string } }>(hub, UPDATE, { id, input: { schedule: '*/10 * * * * *' } });
      expect(byAdmin.updateConnector.schedule).toBe('*/10 * * * * *');
      const renamed = await dataOf<{ updateConnector: { name: string; schedule: string } }>(hub, UPDATE, { id, input: { name: `Kept schedule ${counter}` } }, healthIt);
      expect(renamed.updateConnector).toMatchObject({ schedule: '*/10 * * * * *' });
      expect((await errorOf(hub, UPDATE, { id, input: { schedule: '*/10 * * * * *' } }, healthIt)).extensions?.field).toBe('input.schedule');
    });
  });

  describe('one pulled run of a connector at a time', () => {
    let id: string;
    beforeAll(async () => {
      id = await register(pull(`${health.url}/visits`), healthIt);
    });
    afterEach(() => health.release());

    const conflictOf = (error: { message: string; extensions?: Record<string, unknown> }, runId: string) => {
      // Messages and extensions name connectors and runs by their database numbers (`databaseId`).
      expect(error.extensions).toEqual({ code: 'CONFLICT', field: 'id', runningRunId: String(databaseIdOf(runId)) });
      expect(error.message).toMatch(new RegExp(`^connector ${databaseIdOf(id)} is already running: run ${databaseIdOf(runId)} \\((MANUAL|SCHEDULE|BACKFILL), started .*\\); wait until it ends$`));
    };

    it('refuses a second manual run or backfill while one runs, naming the running run', async () => {
      health.hold();
      const first = (await dataOf<{ runConnector: { id: string; status: string } }>(hub, RUN_NOW, { id }, healthIt)).runConnector;
      expect(first.status).toBe('RUNNING');
      conflictOf(await errorOf(hub, RUN_NOW, { id }, healthIt), first.id);
      conflictOf(await errorOf(hub, RUN, { id }), first.id);
      health.release();
      expect((await waitForEnd(first.id)).status).toBe(RunStatus.SUCCEEDED);
      expect(await run(id, healthIt)).toMatchObject({ status: 'SUCCEEDED' });
    });

    it('lets exactly one of two simultaneous manual runs start', async () => {
      health.hold();
      const attempts = await Promise.all([hub.graphql(RUN_NOW, { id }, healthIt), hub.graphql(RUN_NOW, { id }), hub.graphql(RUN_NOW, { id }, healthIt)]);
      const started = attempts.filter((attempt) => attempt.data).map((attempt) => (attempt.data as { runConnector: { id: string } }).runConnector.id);
      expect(started).toHaveLength(1);
      for (const attempt of attempts.filter((candidate) => candidate.errors)) conflictOf(attempt.errors![0] as never, started[0]);
      expect(await hub.dataSource.getRepository(ConnectorRun).countBy({ connectorId: databaseIdOf(id), status: RunStatus.RUNNING })).toBe(1);
      health.release();
      await waitForEnd(started[0]);
    });

    it('refuses a manual run while a scheduled run runs, and skips a scheduled fire while a manual run runs', async () => {
      health.hold();
      const scheduled = await hub.services.runner.start({ connectorId: databaseIdOf(id), trigger: RunTrigger.SCHEDULE, scheduledFor: new Date(), actor: 'scheduler' });
      conflictOf(await errorOf(hub, RUN_NOW, { id }, healthIt), String(scheduled.run.id));
      health.release();
      await scheduled.finished;
      await waitForEnd(String(scheduled.run.id));

      health.hold();
      const manual = (await dataOf<{ runConnector: { id: string } }>(hub, RUN_NOW, { id }, healthIt)).runConnector;
      await expect(hub.services.runner.start({ connectorId: databaseIdOf(id), trigger: RunTrigger.SCHEDULE, scheduledFor: new Date(), actor: 'scheduler' })).rejects.toBeInstanceOf(RunInProgressError);
      // The schedule's own fire records the skip in the audit log and starts nothing.
      const slot = new Date(Math.floor(Date.now() / 1000) * 1000);
      await (hub.services.schedules as unknown as { fire(connectorId: number, slot: Date): Promise<void> }).fire(databaseIdOf(id), slot);
      const audit = await hub.dataSource.getRepository(AuditEvent).findOneByOrFail({ action: 'connector.run.scheduled', targetId: String(databaseIdOf(id)) });
      expect(audit).toMatchObject({ outcome: 'FAILURE', errorCode: 'RUN_NOT_STARTED' });
      expect(JSON.parse(audit.details!)).toMatchObject({ skipped: true, runningRunId: databaseIdOf(manual.id) });
      expect(await hub.dataSource.getRepository(ConnectorRun).countBy({ connectorId: databaseIdOf(id), status: RunStatus.RUNNING })).toBe(1);
      health.release();
      await waitForEnd(manual.id);
    });

    it('takes over the lock of a run that ended without releasing it (its process died)', async () => {
      const dead = await hub.dataSource.getRepository(ConnectorRun).save({
        connectorId: databaseIdOf(id), trigger: RunTrigger.MANUAL, status: RunStatus.INTERRUPTED, attempts: 1, startedAt: new Date(), heartbeatAt: new Date(),
        finishedAt: new Date(), windowFrom: '2024-08-01', windowTo: '2024-08-01', mappingVersion: 1, owner: 'gone', startedBy: 'test',
      });
      await hub.dataSource.getRepository(ConnectorRunLock).insert({ connectorId: databaseIdOf(id), runId: dead.id, acquiredAt: new Date() });
      expect(await run(id, healthIt)).toMatchObject({ status: 'SUCCEEDED' });
      expect(await hub.dataSource.getRepository(ConnectorRunLock).countBy({ connectorId: databaseIdOf(id) })).toBe(0);
    });
  });

  describe('connector names', () => {
    const push = (name: string, department: string) => ({ name, kind: 'push', department, config: {} });

    it('are unique within a department only, so a conflict never names another department connector', async () => {
      await register(push('Sở Y tế — lượt khám CCCD', 'SO_YT'), healthIt);
      // Another department may use the same name: nothing tells it the name is taken elsewhere.
      expect(await register(push('Sở Y tế — lượt khám CCCD', 'SO_GTVT'), transportIt)).toEqual(expect.any(String));
      const conflict = await errorOf(hub, REGISTER, { input: push('Sở Y tế — lượt khám CCCD', 'SO_YT') }, healthIt);
      expect(conflict.extensions).toEqual({ code: 'CONFLICT', field: 'input.name' });
      expect(conflict.message).toBe('this department already has a connector named "Sở Y tế — lượt khám CCCD"');
      const gtvt = await register(push('Sở GTVT — sát hạch', 'SO_GTVT'), transportIt);
      const renamed = await errorOf(hub, UPDATE, { id: gtvt, input: { name: 'Sở Y tế — lượt khám CCCD ' } }, transportIt);
      expect(renamed.message).toBe('this department already has a connector named "Sở Y tế — lượt khám CCCD"');
    });

    it('are compared byte for byte after NFC: accents, emoji and letter case make different names; encodings of one name do not', async () => {
      await register(push('Sở Y tế — phiếu', 'SO_YT'), healthIt);
      expect(await register(push('So Y te — phieu', 'SO_YT'), healthIt)).toEqual(expect.any(String));
      expect(await register(push('Sổ Y tế — phiếu', 'SO_YT'), healthIt)).toEqual(expect.any(String));
      expect(await register(push('Nguồn 😀', 'SO_YT'), healthIt)).toEqual(expect.any(String));
      expect(await register(push('Nguồn 😃', 'SO_YT'), healthIt)).toEqual(expect.any(String));
      expect(await register(push('nguồn 😀', 'SO_YT'), healthIt)).toEqual(expect.any(String));
      // The same name typed with combining marks (NFD) is the same name, and is stored as NFC.
      const decomposed = 'Sở Y tế — phiếu'.normalize('NFD');
      expect(decomposed).not.toBe('Sở Y tế — phiếu');
      expect((await errorOf(hub, REGISTER, { input: push(decomposed, 'SO_YT') }, healthIt)).extensions?.code).toBe('CONFLICT');
      const nfdOnly = await register(push('Bệnh viện — tiếp đón'.normalize('NFD'), 'SO_YT'), healthIt);
      expect((await hub.dataSource.getRepository(Connector).findOneByOrFail({ id: databaseIdOf(nfdOnly) })).name).toBe('Bệnh viện — tiếp đón'.normalize('NFC'));
    });
  });
});

describe('/metrics access', () => {
  let hub: TestHub;
  let metricsUrl: string;
  beforeAll(async () => {
    hub = await startTestHub({ environment: { METRICS_SCRAPE_KEY: SCRAPE_KEY } });
    metricsUrl = hub.hub.url.replace(/\/graphql$/, '/metrics');
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('answers ADMIN keys and the scrape key; refuses other roles with 403 and wrong credentials with 401', async () => {
    const scrape = async (authorization?: string) => {
      const response = await fetch(metricsUrl, { headers: authorization ? { authorization } : {} });
      return { status: response.status, body: await response.text() };
    };
    for (const [role, departments] of [[Role.VIEWER, []], [Role.ANALYST, []], [Role.DEPARTMENT_IT, ['SO_YT']]] as const) {
      const key = await createKey(hub, role, [...departments]);
      const refused = await scrape(key.headers.authorization);
      expect({ role, status: refused.status, body: JSON.parse(refused.body) }).toEqual({
        role,
        status: 403,
        body: { errors: [{ message: `/metrics needs the ADMIN role or the METRICS_SCRAPE_KEY credential, not ${role}`, extensions: { code: 'FORBIDDEN' } }] },
      });
    }
    const admin = await scrape(hub.headers.authorization);
    expect(admin.status).toBe(200);
    expect(admin.body).toMatch(/^pilothub_http_request_duration_seconds_bucket/m);
    const scraper = await scrape(`Bearer ${SCRAPE_KEY}`);
    expect(scraper.status).toBe(200);
    expect(scraper.body).toMatch(/^pilothub_connector_runs_total|^pilothub_http_request_duration_seconds_bucket/m);
    expect((await scrape()).status).toBe(401);
    expect((await scrape(`Bearer ${SCRAPE_KEY}x`)).status).toBe(401);
    // The scrape key opens /metrics and nothing else.
    const graphql = await hub.graphql('{ viewer { role } }', undefined, { authorization: `Bearer ${SCRAPE_KEY}` });
    expect(graphql.status).toBe(401);
  });
});
