/**
 * Who may do what: every role (and department scope) against every kind of operation, through the real HTTP
 * API. Expected outcomes are written out per caller; counts of department-filtered lists are computed with SQL
 * independent of the resolvers.
 */
import { startFeedSimulator, type FeedSimulator } from '../../src/feeds/simulator';
import { Role } from '../../src/security/principal';
import { createKey } from '../helpers/auth';
import { startTestHub, type GraphQLResponse, type TestHub } from '../helpers/test-hub';

const CALLERS = ['ADMIN', 'IT_HEALTH', 'IT_JUSTICE', 'ANALYST', 'VIEWER', 'ANONYMOUS'] as const;
type Caller = (typeof CALLERS)[number];

/** What an operation came to: its data, or the error codes it was refused with. */
interface Outcome {
  data?: unknown;
  errors?: string;
}

const HEALTH_METRIC = 'KCB_BIOMETRIC_VISITS'; // SO_YT, model M03
const JUSTICE_METRIC = 'KIOSK_NOTARIZATIONS'; // SO_TP, model M04
const FORBIDDEN: Outcome = { errors: 'FORBIDDEN' };

describe('role matrix', () => {
  let hub: TestHub;
  let feeds: FeedSimulator;
  const headers = {} as Record<Caller, Record<string, string>>;
  const connectors = { healthPush: '', justicePush: '', healthPull: '', healthRun: '' };

  beforeAll(async () => {
    feeds = await startFeedSimulator({ port: 0 });
    hub = await startTestHub({ environment: { ANONYMOUS_READ: 'true' }, allowServers: [feeds.url] });
    headers.ADMIN = hub.headers;
    headers.IT_HEALTH = (await createKey(hub, Role.DEPARTMENT_IT, ['SO_YT'])).headers;
    headers.IT_JUSTICE = (await createKey(hub, Role.DEPARTMENT_IT, ['SO_TP'])).headers;
    headers.ANALYST = (await createKey(hub, Role.ANALYST)).headers;
    headers.VIEWER = (await createKey(hub, Role.VIEWER)).headers;
    headers.ANONYMOUS = { authorization: '' };
    const register = async (input: Record<string, unknown>) => {
      const response = await hub.graphql<{ registerConnector: { id: string } }>('mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }', { input });
      expect(response.errors).toBeUndefined();
      return response.data!.registerConnector.id;
    };
    connectors.healthPush = await register({ name: 'Health push', kind: 'push', department: 'SO_YT', config: {} });
    connectors.justicePush = await register({ name: 'Justice push', kind: 'push', department: 'SO_TP', config: {} });
    connectors.healthPull = await register({
      name: 'Health visits',
      kind: 'http-json',
      department: 'SO_YT',
      schedule: '0 0 1 1 *',
      config: { url: `${feeds.url}/health/biometric-visits`, query: { from: '{{from}}', to: '{{to}}' }, recordsPath: 'data' },
      mapping: { metric: { constant: HEALTH_METRIC }, unit: { field: 'communeCode' }, period: { field: 'date', transform: 'dateToPeriod' }, value: { field: 'visits' } },
    });
    const run = await hub.graphql<{ runConnector: { id: string; status: string } }>(
      `mutation { runConnector(id: "${connectors.healthPull}", from: "2024-08-01", to: "2024-08-01", wait: true) { id status } }`,
    );
    expect(run.data?.runConnector.status).toBe('SUCCEEDED');
    connectors.healthRun = run.data!.runConnector.id;
    // Values of both departments exist before anyone reads them.
    for (const [id, metric] of [[connectors.healthPush, HEALTH_METRIC], [connectors.justicePush, JUSTICE_METRIC]]) {
      const pushed = await hub.graphql(`mutation($rows: [ObservationInput!]!) { submitObservations(connectorId: "${id}", rows: $rows) { summary { imported } } }`, {
        rows: [{ metric, unit: '412', period: '2024-04-01', value: 5 }],
      });
      expect(pushed.errors).toBeUndefined();
    }
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
    await feeds?.close();
  });

  const outcomeOf = (response: GraphQLResponse): Outcome =>
    response.errors?.length
      ? { errors: [...new Set(response.errors.map((error) => error.extensions?.code))].sort().join(','), ...(response.data !== undefined ? { data: response.data } : {}) }
      : { data: response.data };
  const call = async (caller: Caller, query: string, variables?: Record<string, unknown>): Promise<Outcome> =>
    outcomeOf(await hub.graphql(query, variables, headers[caller]));
  /** Observations stored for the metrics of these departments (all departments without a list), by SQL. */
  const storedObservations = async (departmentCodes?: string[]): Promise<number> => {
    const rows: Array<{ total: number | string }> = await hub.dataSource.query(
      `SELECT COUNT(*) AS total FROM observation o JOIN metric m ON m.id = o.metricId JOIN department d ON d.id = m.departmentId
       ${departmentCodes ? `WHERE d.code IN (${departmentCodes.map(() => '?').join(', ')})` : ''}`,
      departmentCodes ?? [],
    );
    return Number(rows[0].total);
  };
  const observationsOf = async (metric: string) => {
    const rows: Array<{ total: number | string }> = await hub.dataSource.query(
      'SELECT COUNT(*) AS total FROM observation o JOIN metric m ON m.id = o.metricId WHERE m.code = ?',
      [metric],
    );
    return Number(rows[0].total);
  };
  const byCaller = (allowed: readonly Caller[], ok: Outcome | ((caller: Caller) => Outcome), refused: Outcome = FORBIDDEN) =>
    Object.fromEntries(CALLERS.map((caller) => [caller, allowed.includes(caller) ? (typeof ok === 'function' ? ok(caller) : ok) : refused])) as Record<Caller, Outcome>;
  const CONNECTOR_READERS: Caller[] = ['ADMIN', 'IT_HEALTH', 'IT_JUSTICE', 'ANALYST'];

  it.each(CALLERS)('%s reads the catalogue (programme, models, tasks, departments, units, metric definitions)', async (caller) => {
    const outcome = await call(
      caller,
      `{ program(code: "DA06") { code } pilotModel(code: "M03") { code leadDepartment { code } }
         tasks(first: 1) { totalCount } departments(first: 1) { totalCount } administrativeUnit(code: "412") { code }
         metric(code: "${JUSTICE_METRIC}") { code department { code } freshness { status } } metrics(first: 0) { totalCount } }`,
    );
    expect(outcome.errors).toBeUndefined();
    expect(outcome.data).toMatchObject({ program: { code: 'DA06' }, pilotModel: { code: 'M03' }, metric: { code: JUSTICE_METRIC, department: { code: 'SO_TP' } } });
  });

  it.each(CALLERS)('%s: observations of a health metric and of a justice metric (filter on the root list)', async (caller) => {
    const expected = {
      health: byCaller(['ADMIN', 'IT_HEALTH', 'ANALYST', 'VIEWER', 'ANONYMOUS'], { data: { observations: { totalCount: await observationsOf(HEALTH_METRIC) } } })[caller],
      justice: byCaller(['ADMIN', 'IT_JUSTICE', 'ANALYST', 'VIEWER', 'ANONYMOUS'], { data: { observations: { totalCount: await observationsOf(JUSTICE_METRIC) } } })[caller],
    };
    const query = '($metric: String!) { observations(filter: { metric: $metric }, first: 1) { totalCount } }';
    expect({
      health: await call(caller, `query${query}`, { metric: HEALTH_METRIC }),
      justice: await call(caller, `query${query}`, { metric: JUSTICE_METRIC }),
    }).toEqual({
      health: expected.health.errors ? { errors: 'FORBIDDEN', data: null } : expected.health,
      justice: expected.justice.errors ? { errors: 'FORBIDDEN', data: null } : expected.justice,
    });
  });

  it.each(CALLERS)('%s: the unfiltered observations list holds only the values it may see, and totalCount agrees with the pages', async (caller) => {
    const scope: Partial<Record<Caller, string[]>> = { IT_HEALTH: ['SO_YT'], IT_JUSTICE: ['SO_TP'] };
    const expectedTotal = await storedObservations(scope[caller]);
    const outcome = await call(caller, '{ observations(first: 500, orderBy: RECORDED_AT_DESC) { totalCount edges { node { metric { department { code } } } } } }');
    expect(outcome.errors).toBeUndefined();
    const list = (outcome.data as { observations: { totalCount: number; edges: Array<{ node: { metric: { department: { code: string } } } }> } }).observations;
    expect(list.totalCount).toBe(expectedTotal);
    const departments = new Set(list.edges.map((edge) => edge.node.metric.department.code));
    if (scope[caller]) expect([...departments]).toEqual(scope[caller]);
    else expect(departments.size).toBeGreaterThan(1);
  });

  it.each(CALLERS)('%s: values nested in lists (metrics → observations / latest) are refused per metric outside its departments', async (caller) => {
    const outcome = await call(
      caller,
      '{ metrics(first: 100) { edges { node { code department { code } latest { period } observations(first: 1) { totalCount } } } } }',
    );
    const edges = (outcome.data as { metrics: { edges: Array<{ node: { code: string; department: { code: string }; latest: unknown; observations: unknown } }> } }).metrics.edges;
    const scope = caller === 'IT_HEALTH' ? 'SO_YT' : caller === 'IT_JUSTICE' ? 'SO_TP' : null;
    const outside = edges.filter((edge) => scope !== null && edge.node.department.code !== scope);
    // Every metric is listed (definitions are catalogue); values are null exactly outside the scope.
    expect(edges).toHaveLength(52);
    for (const edge of edges) {
      const hidden = outside.includes(edge);
      expect([edge.node.code, edge.node.observations === null]).toEqual([edge.node.code, hidden]);
      if (hidden) expect(edge.node.latest).toBeNull();
    }
    const response = await hub.graphql(
      '{ metrics(first: 100) { edges { node { latest { period } observations(first: 1) { totalCount } } } } }',
      undefined,
      headers[caller],
    );
    expect(response.errors?.length ?? 0).toBe(outside.length * 2);
    expect(new Set(response.errors?.map((error) => error.extensions?.code))).toEqual(new Set(outside.length > 0 ? ['FORBIDDEN'] : []));
  });

  it.each(CALLERS)('%s: pilotModel → metrics → observations of the health model M03', async (caller) => {
    const outcome = await call(caller, '{ pilotModel(code: "M03") { metrics { code department { code } observations(first: 1) { totalCount } } } }');
    const metrics = (outcome.data as { pilotModel: { metrics: Array<{ department: { code: string }; observations: { totalCount: number } | null }> } }).pilotModel.metrics;
    expect(metrics.length).toBeGreaterThan(0);
    expect(metrics.every((metric) => metric.department.code === 'SO_YT')).toBe(true);
    if (caller === 'IT_JUSTICE') {
      expect(outcome.errors).toBe('FORBIDDEN');
      expect(metrics.every((metric) => metric.observations === null)).toBe(true);
    } else {
      expect(outcome.errors).toBeUndefined();
      expect(metrics.every((metric) => metric.observations !== null)).toBe(true);
    }
  });

  it.each(CALLERS)('%s: revisions of observations (operational data)', async (caller) => {
    const outcome = await call(caller, `{ observations(filter: { metric: "${HEALTH_METRIC}" }, first: 1) { edges { node { revisions { value } } } } }`);
    const allowed: Caller[] = ['ADMIN', 'IT_HEALTH', 'ANALYST'];
    const refused = caller === 'IT_JUSTICE' ? 'FORBIDDEN' : allowed.includes(caller) ? undefined : 'FORBIDDEN';
    expect(outcome.errors).toBe(refused);
  });

  it.each(CALLERS)('%s: connector list, lookups and their nested runs and rejected rows', async (caller) => {
    const listed = await call(caller, '{ connectors(first: 50) { totalCount edges { node { name config runs(first: 5) { totalCount edges { node { rejections(first: 1) { totalCount } } } } } } } }');
    const names = (outcome: Outcome) =>
      outcome.errors ? { errors: outcome.errors } : { data: (outcome.data as { connectors: { totalCount: number; edges: Array<{ node: { name: string } }> } }).connectors.edges.map((edge) => edge.node.name).sort() };
    const all = ['Health push', 'Health visits', 'Justice push'];
    expect(names(listed)).toEqual(
      byCaller(CONNECTOR_READERS, (who) => ({ data: who === 'IT_HEALTH' ? ['Health push', 'Health visits'] : who === 'IT_JUSTICE' ? ['Justice push'] : all }))[caller],
    );
    if (!listed.errors) {
      const list = (listed.data as { connectors: { totalCount: number; edges: unknown[] } }).connectors;
      expect(list.totalCount).toBe(list.edges.length);
    }
    const health = await call(caller, `{ connector(id: "${connectors.healthPull}") { name runs(first: 1) { totalCount } } }`);
    expect(health.errors).toBe(byCaller(['ADMIN', 'IT_HEALTH', 'ANALYST'], {})[caller].errors);
    const run = await call(caller, `{ connectorRun(id: "${connectors.healthRun}") { status } }`);
    expect(run.errors).toBe(byCaller(['ADMIN', 'IT_HEALTH', 'ANALYST'], {})[caller].errors);
    const justice = await call(caller, `{ connector(id: "${connectors.justicePush}") { name } }`);
    expect(justice.errors).toBe(byCaller(['ADMIN', 'IT_JUSTICE', 'ANALYST'], {})[caller].errors);
  });

  it.each(CALLERS)('%s: registerConnector for its own and for another department', async (caller) => {
    const register = (department: string) =>
      call(caller, 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { department { code } } }', {
        input: { name: `${caller} push for ${department}`, kind: 'push', department, config: {} },
      });
    const outcomes = { SO_YT: await register('SO_YT'), SO_TP: await register('SO_TP') };
    const registered = (department: string): Outcome => ({ data: { registerConnector: { department: { code: department } } } });
    const refused = { errors: 'FORBIDDEN', data: null };
    expect(outcomes).toEqual({
      SO_YT: ['ADMIN', 'IT_HEALTH'].includes(caller) ? registered('SO_YT') : refused,
      SO_TP: ['ADMIN', 'IT_JUSTICE'].includes(caller) ? registered('SO_TP') : refused,
    });
  });

  it.each(CALLERS)('%s: runConnector, testConnector and setConnectorEnabled on the health connector', async (caller) => {
    const allowed = ['ADMIN', 'IT_HEALTH'].includes(caller);
    const run = await call(caller, `mutation { runConnector(id: "${connectors.healthPull}", from: "2024-08-02", to: "2024-08-02", wait: true) { status } }`);
    expect(run).toEqual(allowed ? { data: { runConnector: { status: 'SUCCEEDED' } } } : { errors: 'FORBIDDEN', data: null });
    const tested = await call(caller, `mutation { testConnector(id: "${connectors.healthPull}") { ok } }`);
    expect(tested).toEqual(allowed ? { data: { testConnector: { ok: true } } } : { errors: 'FORBIDDEN', data: null });
    const enabled = await call(caller, `mutation { setConnectorEnabled(id: "${connectors.healthPull}", enabled: true) { enabled } }`);
    expect(enabled).toEqual(allowed ? { data: { setConnectorEnabled: { enabled: true } } } : { errors: 'FORBIDDEN', data: null });
  });

  it.each(CALLERS.map((caller, index) => [caller, index] as const))('%s: push own and other metrics through GraphQL', async (caller, index) => {
    const push = (connectorId: string, metric: string) =>
      call(caller, `mutation($rows: [ObservationInput!]!) { submitObservations(connectorId: "${connectorId}", rows: $rows) { summary { imported rejected } rejections { reason } } }`, {
        rows: [{ metric, unit: '413', period: `2024-05-${String(index + 1).padStart(2, '0')}`, value: 10 + index }],
      });
    const imported = { data: { submitObservations: { summary: { imported: 1, rejected: 0 }, rejections: [] } } };
    const refused = { errors: 'FORBIDDEN', data: null };
    expect({
      healthToHealth: await push(connectors.healthPush, HEALTH_METRIC),
      justiceToJustice: await push(connectors.justicePush, JUSTICE_METRIC),
      // A connector only writes its own department's metrics, whoever sends the row.
      justiceMetricThroughHealth: await push(connectors.healthPush, JUSTICE_METRIC),
    }).toEqual({
      healthToHealth: ['ADMIN', 'IT_HEALTH'].includes(caller) ? imported : refused,
      justiceToJustice: ['ADMIN', 'IT_JUSTICE'].includes(caller) ? imported : refused,
      justiceMetricThroughHealth: ['ADMIN', 'IT_HEALTH'].includes(caller)
        ? { data: { submitObservations: { summary: { imported: 0, rejected: 1 }, rejections: [{ reason: 'METRIC_NOT_ALLOWED' }] } } }
        : refused,
    });
  });

  it.each(CALLERS.map((caller, index) => [caller, index] as const))('%s: push through POST /ingest/<id>', async (caller, index) => {
    const post = async (connectorId: string, metric: string) => {
      const response = await fetch(hub.hub.url.replace('/graphql', `/ingest/${connectorId}`), {
        method: 'POST',
        headers: { ...(caller === 'ANONYMOUS' ? {} : headers[caller]), 'content-type': 'text/csv' },
        body: `metric,unit,period,value\n${metric},413,2024-06-${String(index + 1).padStart(2, '0')},${20 + index}\n`,
      });
      const body = (await response.json()) as { summary?: { imported: number }; error?: { code: string } };
      return [response.status, body.summary?.imported ?? body.error?.code];
    };
    expect({ health: await post(connectors.healthPush, HEALTH_METRIC), justice: await post(connectors.justicePush, JUSTICE_METRIC) }).toEqual({
      health: ['ADMIN', 'IT_HEALTH'].includes(caller) ? [200, 1] : [403, 'FORBIDDEN'],
      justice: ['ADMIN', 'IT_JUSTICE'].includes(caller) ? [200, 1] : [403, 'FORBIDDEN'],
    });
  });

  it.each(CALLERS)('%s: catalogue mutations', async (caller) => {
    const status = await call(caller, 'mutation { updatePilotModelStatus(code: "M05", status: IN_PROGRESS, note: "matrix") { status } }');
    expect(status).toEqual(caller === 'ADMIN' ? { data: { updatePilotModelStatus: { status: 'IN_PROGRESS' } } } : { errors: 'FORBIDDEN', data: null });
    const target = await call(caller, `mutation { setMetricTarget(code: "${HEALTH_METRIC}", targetValue: 1000, targetDate: "2025-12-31") { target } }`);
    expect(target.errors).toBe(caller === 'ADMIN' ? undefined : 'FORBIDDEN');
  });

  it.each(CALLERS)('%s: createApiKey, apiKeys, revokeApiKey', async (caller) => {
    const created = await call(caller, 'mutation { createApiKey(input: { name: "matrix viewer", role: VIEWER }) { apiKey { role } } }');
    expect(created).toEqual(caller === 'ADMIN' ? { data: { createApiKey: { apiKey: { role: 'VIEWER' } } } } : { errors: 'FORBIDDEN', data: null });
    const listed = await call(caller, '{ apiKeys(first: 1) { totalCount } }');
    expect(listed.errors).toBe(caller === 'ADMIN' ? undefined : 'FORBIDDEN');
    const revoked = await call(caller, 'mutation { revokeApiKey(id: "999999") { id } }');
    expect(revoked.errors).toBe(caller === 'ADMIN' ? 'NOT_FOUND' : 'FORBIDDEN');
  });

  it.each(CALLERS)('%s: viewer describes the caller', async (caller) => {
    const outcome = await call(caller, '{ viewer { role authenticatedBy departments { code } } }');
    const expected: Record<Caller, unknown> = {
      ADMIN: { role: 'ADMIN', authenticatedBy: 'API_KEY', departments: null },
      IT_HEALTH: { role: 'DEPARTMENT_IT', authenticatedBy: 'API_KEY', departments: [{ code: 'SO_YT' }] },
      IT_JUSTICE: { role: 'DEPARTMENT_IT', authenticatedBy: 'API_KEY', departments: [{ code: 'SO_TP' }] },
      ANALYST: { role: 'ANALYST', authenticatedBy: 'API_KEY', departments: null },
      VIEWER: { role: 'VIEWER', authenticatedBy: 'API_KEY', departments: null },
      ANONYMOUS: { role: 'VIEWER', authenticatedBy: 'ANONYMOUS', departments: null },
    };
    expect(outcome).toEqual({ data: { viewer: expected[caller] } });
  });

  /** GET of a download as the caller: its status, and the error code of a refusal. */
  const download = async (caller: Caller, path: string): Promise<[number, string | undefined]> => {
    const response = await fetch(hub.hub.url.replace('/graphql', path), { headers: caller === 'ANONYMOUS' ? {} : headers[caller] });
    const text = await response.text();
    if (response.ok) return [response.status, undefined];
    const body = JSON.parse(text) as { errors?: Array<{ extensions?: { code?: string } }>; error?: { code?: string } };
    return [response.status, body.errors?.[0]?.extensions?.code ?? body.error?.code];
  };
  const ownsHealth = (caller: Caller) => caller !== 'IT_JUSTICE';
  const ownsJustice = (caller: Caller) => caller !== 'IT_HEALTH';

  it.each(CALLERS)('%s: series and aggregates of a health and a justice metric', async (caller) => {
    const series = (metric: string) =>
      call(caller, `{ series(metrics: ["${metric}"], from: "2024-04", to: "2024-04", granularity: MONTH) { points { period value } } }`);
    const health = await series(HEALTH_METRIC);
    const justice = await series(JUSTICE_METRIC);
    expect(health.errors).toBe(ownsHealth(caller) ? undefined : 'FORBIDDEN');
    expect(justice.errors).toBe(ownsJustice(caller) ? undefined : 'FORBIDDEN');
    if (ownsJustice(caller)) expect(justice.data).toEqual({ series: [{ points: [{ period: '2024-04', value: 5 }] }] });
    // Grouped by department: a department-scoped caller sees only its own departments' groups.
    const grouped = await call(caller, `{ aggregate(metrics: ["${HEALTH_METRIC}", "${JUSTICE_METRIC}"], groupBy: [DEPARTMENT], from: "2024-04", to: "2024-04") { rows { department { code } } } }`);
    const departments = (grouped.data as { aggregate?: { rows: Array<{ department: { code: string } }> } } | undefined)?.aggregate?.rows.map((row) => row.department.code);
    if (caller === 'IT_HEALTH' || caller === 'IT_JUSTICE') expect(grouped.errors).toBe('FORBIDDEN');
    else expect(departments?.sort()).toEqual(['SO_TP', 'SO_YT']);
  });

  it.each(CALLERS)('%s: CSV export of series (operational reads of own data; not viewers)', async (caller) => {
    const exported = await download(caller, `/export/series?metrics=${JUSTICE_METRIC}&from=2024-04&to=2024-04&granularity=MONTH`);
    const allowed = ['ADMIN', 'ANALYST', 'IT_JUSTICE'].includes(caller);
    expect(exported).toEqual(allowed ? [200, undefined] : [403, 'FORBIDDEN']);
  });

  it.each(CALLERS)('%s: progress, scorecards and the report download', async (caller) => {
    const progress = await call(caller, '{ progress(asOf: "2024-04-02") { tasks { overdue } } departmentScorecards(asOf: "2024-04-02", departments: ["SO_YT"]) { department { code } } }');
    expect(progress).toEqual({ data: { progress: { tasks: { overdue: 10 } }, departmentScorecards: [{ department: { code: 'SO_YT' } }] } });
    const report = await download(caller, '/reports/progress.csv?period=2024-Q1&asOf=2024-04-02');
    expect(report).toEqual(['VIEWER', 'ANONYMOUS'].includes(caller) ? [403, 'FORBIDDEN'] : [200, undefined]);
  });

  it.each(CALLERS)('%s: the outbound allowlist and the audit log are for administrators', async (caller) => {
    const listed = await call(caller, '{ outboundHosts { pattern } auditEvents(first: 1) { totalCount } }');
    expect(listed.errors).toBe(caller === 'ADMIN' ? undefined : 'FORBIDDEN');
    const added = await call(caller, `mutation { addOutboundHost(input: { pattern: "matrix-${caller.toLowerCase()}.example.gov.vn" }) { pattern } }`);
    expect(added.errors).toBe(caller === 'ADMIN' ? undefined : 'FORBIDDEN');
  });

  it('every root query and mutation of the schema declares the roles it allows', async () => {
    const { getMetadataStorage } = await import('type-graphql');
    const storage = getMetadataStorage();
    const authorized = new Set(storage.authorizedFields.map((field) => `${field.target.name}.${field.fieldName}`));
    const roots = [...storage.queries, ...storage.mutations].map((handler) => `${handler.target.name}.${handler.methodName}`);
    expect(roots.length).toBeGreaterThan(30);
    expect(roots.filter((root) => !authorized.has(root))).toEqual([]);
  });
});
