/**
 * Department reorganizations over HTTP: merging Transport into Construction and splitting Labour between Home
 * Affairs and Health on 1 March 2025 moves their task groups, tasks, pilot models, metrics and connectors; reports
 * as of a day before show the departments as they were, after it the successors; connectors keep running and
 * pushing under the successor; a predecessor's DEPARTMENT_IT key keeps its history and gains nothing; every bad
 * input names its field and writes nothing.
 */
import { startTestServer, type TestServer } from '../../connectors/sdk/testing';
import { In } from 'typeorm';
import { ConnectorRun } from '../../src/modules/connectors/connector-run.entity';
import { Connector } from '../../src/modules/connectors/connector.entity';
import { ensureOutboundHost } from '../../src/modules/outbound/outbound-host.service';
import { Role } from '../../src/security/principal';
import { databaseIdOf, dataOf, errorOf } from '../helpers/api';
import { createKey, type CreatedKey } from '../helpers/auth';
import { hostOf } from '../helpers/outbound';
import { QUIET_BACKGROUND, startTestHub, type TestHub } from '../helpers/test-hub';

type Headers = Record<string, string>;
type Scorecard = { department: { code: string }; tasks: { total: number }; pilotModels: { total: number }; connectors: number | null; freshness: { onTime: number; late: number; missing: number }; dataQuality: { runs: number } | null };

/** Tables a reorganization writes: a refused one must leave them exactly as they were. */
const STATE_QUERIES = [
  'SELECT id, code, validFrom, validTo, successorId FROM department ORDER BY id',
  'SELECT id, leadDepartmentId FROM task ORDER BY id',
  'SELECT id, leadDepartmentId FROM task_group ORDER BY id',
  'SELECT id, leadDepartmentId FROM pilot_model ORDER BY id',
  'SELECT pilotModelId, departmentId FROM pilot_model_supporting_department ORDER BY pilotModelId, departmentId',
  'SELECT id, departmentId FROM metric ORDER BY id',
  'SELECT id, departmentId FROM connector ORDER BY id',
  'SELECT outboundHostId, departmentId FROM outbound_host_department ORDER BY outboundHostId, departmentId',
  'SELECT COUNT(*) AS n FROM department_reorganization',
  'SELECT COUNT(*) AS n FROM department_succession',
  'SELECT COUNT(*) AS n FROM department_move',
  'SELECT COUNT(*) AS n FROM task_change',
  'SELECT COUNT(*) AS n FROM pilot_model_change',
  'SELECT COUNT(*) AS n FROM metric_change',
];

const SCORECARD = 'department { code } tasks { total } pilotModels { total } connectors freshness { onTime late missing } dataQuality { runs }';
const RESULT = `reorganization { kind effectiveOn note author }
  predecessors { code validTo successor { code } successors { code } }
  successors { code validFrom predecessors { code } }
  moved { taskGroups tasks pilotModels supportedPilotModels metrics connectors }
  apiKeysToReview { id name }`;
const MERGE = `mutation($input: MergeDepartmentsInput!) { mergeDepartments(input: $input) { ${RESULT} } }`;
const SPLIT = `mutation($input: SplitDepartmentInput!) { splitDepartment(input: $input) { ${RESULT} } }`;
const REGISTER = 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }';
const PUSH = 'mutation($id: ID!, $rows: [ObservationInput!]!) { submitObservations(connectorId: $id, rows: $rows) { run { id } summary { imported rejected } rejections { reason message } } }';
const RUN = 'mutation($id: ID!) { runConnector(id: $id, from: "2025-05-01", to: "2025-05-01", wait: true) { status errorMessage summary { fetched imported rejected } } }';
const NOTE = 'Nghị quyết sắp xếp tổ chức bộ máy, hiệu lực 01/3/2025';

interface Reorganized {
  reorganization: { kind: string; effectiveOn: string; note: string; author: string };
  predecessors: Array<{ code: string; validTo: string; successor: { code: string }; successors: Array<{ code: string }> }>;
  successors: Array<{ code: string; validFrom: string | null; predecessors: Array<{ code: string }> }>;
  moved: Record<string, number>;
  apiKeysToReview: Array<{ id: string; name: string }>;
}

describe('department reorganizations', () => {
  let hub: TestHub;
  let feed: TestServer;
  let transportIt: CreatedKey;
  let labourIt: CreatedKey;
  let constructionIt: Headers;
  let admin: Headers;
  /** Connectors of SO_GTVT: a push (with a run in February 2025) and a pull from a host granted to SO_GTVT and SO_LDTBXH only. */
  let transportPush: string;
  let transportPull: string;
  let labourPull: string;
  let labourPush: string;

  beforeAll(async () => {
    feed = await startTestServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ data: [{ communeCode: '412', date: '2025-05-01', tests: 12 }] }));
    });
    hub = await startTestHub({ environment: QUIET_BACKGROUND });
    await ensureOutboundHost(hub.dataSource, { pattern: hostOf(feed.url), allowPrivate: true, note: 'Department feeds', departments: ['SO_GTVT', 'SO_LDTBXH'] }, 'test');
    admin = (await createKey(hub, Role.ADMIN, [], 'Văn phòng UBND tỉnh')).headers;
    transportIt = await createKey(hub, Role.DEPARTMENT_IT, ['SO_GTVT'], 'CNTT Sở GTVT');
    labourIt = await createKey(hub, Role.DEPARTMENT_IT, ['SO_LDTBXH'], 'CNTT Sở LĐTBXH');
    constructionIt = (await createKey(hub, Role.DEPARTMENT_IT, ['SO_XD'], 'CNTT Sở Xây dựng')).headers;

    const register = async (input: Record<string, unknown>, headers: Headers) => (await dataOf<{ registerConnector: { id: string } }>(hub, REGISTER, { input }, headers)).registerConnector.id;
    transportPush = await register({ name: 'Sát hạch lái xe', kind: 'push', department: 'SO_GTVT', config: {} }, transportIt.headers);
    transportPull = await register({
      name: 'Thiết bị giám sát sát hạch', kind: 'http-json', department: 'SO_GTVT', schedule: '0 17 * * *', enabled: false, config: { url: `${feed.url}/tests`, recordsPath: 'data' },
      mapping: { metric: { constant: 'DRIVE_TESTS_MONITORED' }, unit: { field: 'communeCode' }, period: { field: 'date' }, value: { field: 'tests' } },
    }, transportIt.headers);
    labourPush = await register({ name: 'Trợ cấp thất nghiệp', kind: 'push', department: 'SO_LDTBXH', config: {} }, admin);
    labourPull = await register({
      name: 'Chi trả không dùng tiền mặt', kind: 'http-json', department: 'SO_LDTBXH', schedule: '0 17 * * *', enabled: false, config: { url: `${feed.url}/welfare`, recordsPath: 'data' },
      mapping: { metric: { constant: 'WELFARE_CASHLESS_RATE' }, unit: { field: 'communeCode' }, period: { field: 'date' }, numerator: { field: 'tests' }, denominator: { field: 'tests' } },
    }, admin);
    // A feed that has run since 2024: registered then, and its push of February 2025 ran then.
    const push = await dataOf<{ submitObservations: { run: { id: string }; summary: { imported: number } } }>(
      hub, PUSH, { id: transportPush, rows: [{ metric: 'DRIVE_TESTS_MONITORED', unit: '412', period: '2025-02-10', value: 40 }] }, transportIt.headers,
    );
    expect(push.submitObservations.summary.imported).toBe(1);
    await hub.dataSource.getRepository(Connector).update({ id: In([databaseIdOf(transportPush), databaseIdOf(transportPull)]) }, { createdAt: new Date('2024-06-01T00:00:00Z') });
    await hub.dataSource.getRepository(ConnectorRun).update(databaseIdOf(push.submitObservations.run.id), { startedAt: new Date('2025-02-10T03:00:00Z'), finishedAt: new Date('2025-02-10T03:00:01Z') });
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
    await feed?.close();
  });

  const state = async () => Promise.all(STATE_QUERIES.map((query) => hub.dataSource.query(query)));

  /** The mutation fails with one error of `code` naming `field` (and saying `text`), and nothing is written. */
  const refused = async (mutation: string, input: Record<string, unknown>, code: string, field: string, text: string) => {
    const before = await state();
    const error = await errorOf(hub, mutation, { input }, admin);
    expect({ code: error.extensions?.code, field: error.extensions?.field, message: error.message }).toEqual({ code, field, message: expect.stringContaining(text) });
    expect(error.message).toContain(field);
    expect(await state()).toEqual(before);
  };

  const scorecards = async (asOf: string, departments: string[], window: { from?: string; to?: string } = {}, headers: Headers = admin) =>
    (await dataOf<{ departmentScorecards: Scorecard[] }>(
      hub,
      `query($asOf: Date, $from: Date, $to: Date, $departments: [String!]) { departmentScorecards(asOf: $asOf, from: $from, to: $to, departments: $departments) { ${SCORECARD} } }`,
      { asOf, departments, ...window },
      headers,
    )).departmentScorecards;
  const byCode = (cards: Scorecard[]) => Object.fromEntries(cards.map((card) => [card.department.code, card]));

  const merge = { departments: ['SO_GTVT'], into: 'SO_XD', effectiveDate: '2025-03-01', note: NOTE };

  it('refuses bad merges naming the field, and writes nothing', async () => {
    await refused(MERGE, { ...merge, departments: [] }, 'BAD_USER_INPUT', 'input.departments', 'at least one');
    await refused(MERGE, { ...merge, departments: ['SO_XX'] }, 'BAD_USER_INPUT', 'input.departments[0]', 'unknown department "SO_XX"');
    await refused(MERGE, { ...merge, departments: ['SO_GTVT', 'SO_GTVT'] }, 'BAD_USER_INPUT', 'input.departments[1]', 'listed twice');
    await refused(MERGE, { ...merge, departments: ['SO_XD'] }, 'BAD_USER_INPUT', 'input.into', 'not merged into itself');
    await refused(MERGE, { ...merge, departments: ['SO_TNMT'], into: 'SO_ZZ' }, 'BAD_USER_INPUT', 'input.into', 'unknown department "SO_ZZ"');
    await refused(MERGE, { ...merge, create: { name: 'Construction', nameVi: 'Sở Xây dựng' } }, 'CONFLICT', 'input.into', 'exists already');
    await refused(MERGE, { ...merge, departments: ['SO_TNMT'], into: 'SO_NEW', create: { name: ' ', nameVi: 'Sở mới' } }, 'BAD_USER_INPUT', 'input.create.name', 'blank');
    await refused(MERGE, { ...merge, note: '  ' }, 'BAD_USER_INPUT', 'input.note', 'say why');
    await refused(MERGE, { ...merge, effectiveDate: '2999-01-01' }, 'BAD_USER_INPUT', 'input.effectiveDate', 'must not be after today');
    // The catalogue records Transport as ended on 1 March 2025 and succeeded by Construction.
    await refused(MERGE, { ...merge, effectiveDate: '2025-02-01' }, 'BAD_USER_INPUT', 'input.departments[0]', 'ended on 2025-03-01');
    await refused(MERGE, { ...merge, into: 'SO_KHCN' }, 'BAD_USER_INPUT', 'input.departments[0]', 'succeeded by SO_XD');
    // Construction exists from 1 March 2025 only; Natural Resources cannot merge into it earlier.
    await refused(MERGE, { ...merge, departments: ['SO_TNMT'], effectiveDate: '2025-01-01' }, 'BAD_USER_INPUT', 'input.into', 'exists from 2025-03-01 only');
    await refused(MERGE, { ...merge, into: 'SO_GDDT', departments: ['SO_XD'], effectiveDate: '2025-02-01' }, 'BAD_USER_INPUT', 'input.effectiveDate', 'is not after department "SO_XD" begins');
    // Two connectors of one name would meet in Construction.
    const clash = (await dataOf<{ registerConnector: { id: string } }>(hub, REGISTER, { input: { name: 'Sát hạch lái xe', kind: 'push', department: 'SO_XD', config: {} } }, admin)).registerConnector.id;
    await refused(MERGE, merge, 'BAD_USER_INPUT', 'input.departments', `connector ${databaseIdOf(transportPush)} "Sát hạch lái xe" cannot move to SO_XD`);
    await dataOf(hub, 'mutation($id: ID!) { updateConnector(id: $id, input: { name: "Sát hạch lái xe (Sở Xây dựng)" }) { id } }', { id: clash }, admin);
    // A date that is no date: refused by the Date scalar before anything runs.
    const badDate = await errorOf(hub, MERGE, { input: { ...merge, effectiveDate: '2025-02-30' } }, admin);
    expect(badDate.message).toContain('2025-02-30');
    // Only an ADMIN reorganizes.
    expect((await errorOf(hub, MERGE, { input: merge }, constructionIt)).extensions?.code).toBe('FORBIDDEN');
  });

  it('merges Transport into Construction: every item moves, its history records the change, and the audit log the merge', async () => {
    const done = (await dataOf<{ mergeDepartments: Reorganized }>(hub, MERGE, { input: merge }, admin)).mergeDepartments;
    expect(done.reorganization).toEqual({ kind: 'MERGE', effectiveOn: '2025-03-01', note: NOTE, author: 'Văn phòng UBND tỉnh' });
    expect(done.predecessors).toEqual([{ code: 'SO_GTVT', validTo: '2025-03-01', successor: { code: 'SO_XD' }, successors: [{ code: 'SO_XD' }] }]);
    expect(done.successors).toEqual([{ code: 'SO_XD', validFrom: '2025-03-01', predecessors: [{ code: 'SO_GTVT' }] }]);
    expect(done.moved).toEqual({ taskGroups: 0, tasks: 1, pilotModels: 2, supportedPilotModels: 1, metrics: 3, connectors: 2 });
    expect(done.apiKeysToReview).toEqual([{ id: transportIt.id, name: 'CNTT Sở GTVT' }]);

    const moved = await dataOf<{
      task: { leadDepartment: { code: string }; history: Array<{ field: string; fromValue: string; toValue: string; note: string; changes: Record<string, { to: string }> }> };
      pilotModel: { leadDepartment: { code: string }; history: Array<{ fromValue: string; toValue: string }> };
      metric: { department: { code: string }; history: Array<{ fromValue: string; toValue: string }> };
      pilotModels: { edges: Array<{ node: { code: string; supportingDepartments: Array<{ code: string }> } }> };
      connector: { department: { code: string } };
    }>(
      hub,
      `query($connector: ID!) {
        task(code: "T05.04") { leadDepartment { code } history(field: LEAD_DEPARTMENT) { field fromValue toValue note changes } }
        pilotModel(code: "M07") { leadDepartment { code } history(field: LEAD_DEPARTMENT) { fromValue toValue } }
        metric(code: "GPLX_ONLINE_DOSSIERS") { department { code } history { fromValue toValue } }
        pilotModels(first: 50) { edges { node { code supportingDepartments { code } } } }
        connector(id: $connector) { department { code } } }`,
      { connector: transportPull },
      admin,
    );
    expect(moved.task.leadDepartment.code).toBe('SO_XD');
    expect(moved.task.history).toEqual([{ field: 'LEAD_DEPARTMENT', fromValue: 'SO_GTVT', toValue: 'SO_XD', note: NOTE, changes: { leadDepartment: { from: 'SO_GTVT', to: 'SO_XD' }, effectiveOn: { from: null, to: '2025-03-01' } } }]);
    expect(moved.pilotModel).toEqual({ leadDepartment: { code: 'SO_XD' }, history: [{ fromValue: 'SO_GTVT', toValue: 'SO_XD' }] });
    expect(moved.metric.department.code).toBe('SO_XD');
    expect(moved.metric.history).toContainEqual({ fromValue: 'SO_GTVT', toValue: 'SO_XD' });
    const supporters = moved.pilotModels.edges.flatMap(({ node }) => node.supportingDepartments.map((department) => department.code));
    expect(supporters).not.toContain('SO_GTVT');
    expect(supporters).toContain('SO_XD');
    expect(moved.connector.department.code).toBe('SO_XD');
    // A merger the catalogue states but nobody recorded yet still names its successor both ways.
    const stated = await dataOf<{ department: { successors: Array<{ code: string }> }; successor: { predecessors: Array<{ code: string }> } }>(
      hub, '{ department(code: "SO_TTTT") { successors { code } } successor: department(code: "SO_KHCN") { predecessors { code } } }',
    );
    expect(stated).toEqual({ department: { successors: [{ code: 'SO_KHCN' }] }, successor: { predecessors: [{ code: 'SO_TTTT' }] } });
    const audit = await hub.dataSource.query("SELECT outcome, targetId FROM audit_event WHERE action = 'mergeDepartments' AND outcome = 'SUCCESS'");
    expect(audit).toEqual([{ outcome: 'SUCCESS', targetId: 'SO_XD' }]);
    // Merged once: not again.
    await refused(MERGE, merge, 'BAD_USER_INPUT', 'input.departments[0]', 'already reorganized (MERGE effective 2025-03-01)');
  });

  it('scorecards, the progress report and the evaluation as of a day before show Transport; after it, Construction', async () => {
    const year2024 = { from: '2024-01-01', to: '2024-12-31' };
    const before = byCode(await scorecards('2025-02-28', ['SO_GTVT', 'SO_XD'], year2024));
    const after = byCode(await scorecards('2025-03-15', ['SO_GTVT', 'SO_XD'], year2024));
    expect(before.SO_GTVT).toMatchObject({ tasks: { total: 1 }, pilotModels: { total: 2 }, connectors: 2 });
    expect(before.SO_GTVT.freshness.onTime + before.SO_GTVT.freshness.late + before.SO_GTVT.freshness.missing).toBe(3);
    expect(before.SO_XD).toMatchObject({ tasks: { total: 0 }, pilotModels: { total: 0 }, connectors: 0, freshness: { onTime: 0, late: 0, missing: 0 } });
    expect(after.SO_GTVT).toMatchObject({ tasks: { total: 0 }, pilotModels: { total: 0 }, connectors: 0, freshness: { onTime: 0, late: 0, missing: 0 } });
    // Its own connector registered today does not count yet on 15 March 2025.
    expect(after.SO_XD).toMatchObject({ tasks: { total: 1 }, pilotModels: { total: 2 }, connectors: 2 });
    // The run of February 2025 stays Transport's.
    const runs2025 = byCode(await scorecards('2025-12-31', ['SO_GTVT', 'SO_XD']));
    expect([runs2025.SO_GTVT.dataQuality, runs2025.SO_XD.dataQuality]).toEqual([{ runs: 1 }, { runs: 0 }]);
    // Without a list: departments in force during the window, Transport before the merge only.
    const listed = async (asOf: string) => (await scorecards(asOf, null as never, { from: asOf, to: asOf })).map((card) => card.department.code);
    expect(await listed('2025-02-28')).toContain('SO_GTVT');
    expect(await listed('2025-02-28')).not.toContain('SO_XD');
    expect(await listed('2025-03-15')).toEqual(expect.arrayContaining(['SO_XD']));
    expect(await listed('2025-03-15')).not.toContain('SO_GTVT');

    const report = async (period: string) =>
      (await dataOf<{ progressReport: { departments: Array<{ department: { code: string }; pilotModels: { total: number } }>; markdown: string } }>(
        hub, `{ progressReport(period: "${period}") { departments { department { code } pilotModels { total } } markdown } }`, undefined, admin,
      )).progressReport;
    const february = await report('2025-02');
    expect(february.departments.find((row) => row.department.code === 'SO_GTVT')?.pilotModels.total).toBe(2);
    expect(february.departments.map((row) => row.department.code)).not.toContain('SO_XD');
    const april = await report('2025-04');
    expect(april.departments.find((row) => row.department.code === 'SO_XD')?.pilotModels.total).toBe(2);
    expect(april.departments.map((row) => row.department.code)).not.toContain('SO_GTVT');

    type Row = { department: { code: string }; tasks: { onTime: string[]; late: string[]; undated: string[]; notDone: string[] }; pilotModels: { completed: string[]; notCompleted: string[] } };
    const evaluation = async (year: number) =>
      byCodeRows((await dataOf<{ evaluation: { rows: Row[] } }>(hub, `{ evaluation(year: ${year}) { rows { department { code } tasks { onTime late undated notDone } pilotModels { completed notCompleted } } } }`, undefined, admin)).evaluation.rows);
    const byCodeRows = (rows: Row[]) => Object.fromEntries(rows.map((row) => [row.department.code, row]));
    const items = (row: Row | undefined) => (row ? [...row.tasks.onTime, ...row.tasks.late, ...row.tasks.undated, ...row.tasks.notDone, ...row.pilotModels.completed, ...row.pilotModels.notCompleted].sort() : []);
    const e2024 = await evaluation(2024);
    expect(items(e2024.SO_GTVT)).toEqual(['M07', 'M18', 'T05.04']);
    expect(e2024.SO_XD).toBeUndefined();
    const e2025 = await evaluation(2025);
    expect(items(e2025.SO_XD)).toEqual(['M07', 'M18']);
    expect(items(e2025.SO_GTVT)).toEqual([]);
    // A report is owed by whoever held the metric on its due day: January's by Transport, June's by Construction.
    type Freshness = { lateReports: string[]; missingReports: string[] };
    const owed = (await dataOf<{ evaluation: { rows: Array<{ department: { code: string }; freshness: Freshness }> } }>(
      hub, '{ evaluation(year: 2025) { rows { department { code } freshness { lateReports missingReports } } } }', undefined, admin,
    )).evaluation.rows;
    const reportsOf = (code: string) => owed.filter((row) => row.department.code === code).flatMap((row) => [...row.freshness.lateReports, ...row.freshness.missingReports]);
    expect(reportsOf('SO_GTVT')).toContain('GPLX_ONLINE_DOSSIERS 2025-01');
    expect(reportsOf('SO_GTVT')).not.toContain('GPLX_ONLINE_DOSSIERS 2025-06');
    expect(reportsOf('SO_XD')).toContain('GPLX_ONLINE_DOSSIERS 2025-06');
    expect(reportsOf('SO_XD')).not.toContain('GPLX_ONLINE_DOSSIERS 2025-01');
  });

  it('moved connectors keep pushing and running under Construction; Transport’s key keeps its history and gains nothing', async () => {
    const row = [{ metric: 'DRIVE_TESTS_MONITORED', unit: '412', period: '2025-05-02', value: 9 }];
    const pushed = await dataOf<{ submitObservations: { summary: { imported: number; rejected: number }; rejections: unknown[] } }>(hub, PUSH, { id: transportPush, rows: row }, constructionIt);
    expect(pushed.submitObservations.rejections).toEqual([]);
    expect(pushed.submitObservations.summary).toEqual({ imported: 1, rejected: 0 });
    // The pull connector reaches its host: Construction was granted Transport's outbound host.
    expect((await dataOf<{ runConnector: unknown }>(hub, RUN, { id: transportPull }, constructionIt)).runConnector).toEqual({ status: 'SUCCEEDED', errorMessage: null, summary: { fetched: 1, imported: 1, rejected: 0 } });
    const today = (await dataOf<{ departmentScorecards: Scorecard[] }>(hub, `{ departmentScorecards(departments: ["SO_XD", "SO_GTVT"]) { ${SCORECARD} } }`, undefined, admin)).departmentScorecards;
    expect(byCode(today).SO_XD.dataQuality).toEqual({ runs: 2 }); // the push and the pulled run
    expect(byCode(today).SO_GTVT.dataQuality).toEqual({ runs: 0 });

    const transport = transportIt.headers;
    const refusedPush = await errorOf(hub, PUSH, { id: transportPush, rows: row }, transport);
    expect(refusedPush.extensions?.code).toBe('NOT_FOUND');
    const ingest = (headers: Headers) => fetch(hub.hub.url.replace('/graphql', `/ingest/${databaseIdOf(transportPush)}`), {
      method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify([{ ...row[0], period: '2025-05-03' }]),
    });
    expect((await ingest(transport)).status).toBe(404);
    // The same push URL serves Construction's key.
    const successor = await ingest(constructionIt);
    expect(successor.status).toBe(200);
    expect(((await successor.json()) as { summary: { imported: number } }).summary.imported).toBe(1);
    const status = await errorOf(hub, 'mutation { updateTaskStatus(code: "T05.04", status: IN_PROGRESS, note: "x") { code } }', undefined, transport);
    expect(status.extensions?.code).toBe('FORBIDDEN');
    const register = await errorOf(hub, REGISTER, { input: { name: 'Mới', kind: 'push', department: 'SO_XD', config: {} } }, transport);
    expect(register.extensions?.code).toBe('FORBIDDEN');
    // Nor does anything new start under Transport, whoever asks.
    for (const headers of [transport, admin]) {
      const ended = await errorOf(hub, REGISTER, { input: { name: 'Mới', kind: 'push', department: 'SO_GTVT', config: {} } }, headers);
      expect({ ...ended.extensions, message: ended.message }).toEqual({
        code: 'BAD_USER_INPUT', field: 'input.department',
        message: 'input.department: department SO_GTVT was reorganized (MERGE effective 2025-03-01): its work passed to its successors; use one of them (e.g. SO_XD)',
      });
    }
    // Its own history stays readable, run statistics included; Construction's operational figures stay withheld.
    const history = byCode(await scorecards('2025-02-28', ['SO_GTVT'], { from: '2025-01-01', to: '2025-02-28' }, transport));
    expect(history.SO_GTVT).toMatchObject({ connectors: 2, dataQuality: { runs: 1 } });
    const other = await hub.graphql<{ departmentScorecards: Scorecard[] }>(`{ departmentScorecards(departments: ["SO_XD"]) { department { code } connectors } }`, undefined, transport);
    expect(other.data?.departmentScorecards).toEqual([{ department: { code: 'SO_XD' }, connectors: null }]);
    expect(other.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    // Construction's key acts on what it took over.
    const updated = await dataOf<{ updateTaskStatus: { status: string } }>(hub, 'mutation { updateTaskStatus(code: "T05.04", status: IN_PROGRESS, note: "Sở Xây dựng tiếp nhận") { status } }', undefined, constructionIt);
    expect(updated.updateTaskStatus.status).toBe('IN_PROGRESS');
  });

  const labourParts = (overrides: Array<Record<string, unknown>> = [{}, {}]) => [
    { into: 'SO_NV', tasks: ['T02.05', 'T07.03'], pilotModels: ['M24'], metrics: ['UNEMPLOYMENT_ONLINE'], connectors: [labourPush], ...overrides[0] },
    { into: 'SO_YT', tasks: ['T04.05'], pilotModels: ['M30', 'M08', 'M15', 'M35'], metrics: ['WELFARE_CASHLESS_RATE'], connectors: [labourPull], ...overrides[1] },
  ];
  const split = () => ({ department: 'SO_LDTBXH', effectiveDate: '2025-03-01', note: NOTE, parts: labourParts() });

  it('refuses bad splits naming the field, and writes nothing', async () => {
    await refused(SPLIT, { ...split(), parts: [labourParts()[0]] }, 'BAD_USER_INPUT', 'input.parts', 'at least two parts');
    await refused(SPLIT, { ...split(), department: 'SO_XX' }, 'BAD_USER_INPUT', 'input.department', 'unknown department "SO_XX"');
    await refused(SPLIT, { ...split(), department: 'SO_GTVT' }, 'BAD_USER_INPUT', 'input.department', 'already reorganized');
    await refused(SPLIT, { ...split(), parts: labourParts([{}, { into: 'SO_LDTBXH' }]) }, 'BAD_USER_INPUT', 'input.parts[1].into', 'is the department being split');
    await refused(SPLIT, { ...split(), parts: labourParts([{}, { into: 'SO_NV' }]) }, 'BAD_USER_INPUT', 'input.parts[1].into', 'successor of part 0');
    await refused(SPLIT, { ...split(), parts: labourParts([{ tasks: ['T02.05', 'T05.04'] }, {}]) }, 'BAD_USER_INPUT', 'input.parts[0].tasks[1]', '"T05.04" is not led by SO_LDTBXH');
    await refused(SPLIT, { ...split(), parts: labourParts([{}, { tasks: ['T04.05', 'T07.03'] }]) }, 'BAD_USER_INPUT', 'input.parts[1].tasks[1]', 'T07.03 is assigned twice (also at input.parts[0].tasks[1])');
    await refused(SPLIT, { ...split(), parts: labourParts([{ tasks: ['T02.05'], metrics: [] }, {}]) }, 'BAD_USER_INPUT', 'input.parts', 'unassigned: tasks T07.03; metrics UNEMPLOYMENT_ONLINE');
    await refused(SPLIT, { ...split(), parts: labourParts([{ connectors: [labourPush, transportPush] }, {}]) }, 'BAD_USER_INPUT', 'input.parts[0].connectors[1]', 'is not a connector of SO_LDTBXH');
    await refused(SPLIT, { ...split(), parts: labourParts([{ connectors: ['not-an-id'] }, {}]) }, 'BAD_USER_INPUT', 'input.parts[0].connectors[0]', 'is not a connector id');
    await refused(
      SPLIT, { ...split(), parts: labourParts([{ connectors: [labourPush, labourPull] }, { connectors: [] }]) }, 'BAD_USER_INPUT', 'input.parts[0].connectors[1]',
      'writes metric WELFARE_CASHLESS_RATE, assigned to SO_YT',
    );
    await refused(SPLIT, { ...split(), parts: labourParts([{}, { into: 'SO_NEW' }]) }, 'BAD_USER_INPUT', 'input.parts[1].into', 'give `create`');
    await refused(SPLIT, { ...split(), parts: labourParts([{ into: 'SO_YT' }, { into: 'SO_KHCN' }]) }, 'BAD_USER_INPUT', 'input.department', 'succeeded by SO_NV, not by SO_YT, SO_KHCN');
  });

  it('splits Labour between Home Affairs and a department it creates, each item exactly once; reports before show Labour', async () => {
    const input = { ...split(), parts: labourParts([{}, { into: 'SO_YT_XH', create: { name: 'Department of Health and Social Affairs', nameVi: 'Sở Y tế và Xã hội' } }]) };
    // The catalogue records Labour as succeeded by Home Affairs; the first part is that successor.
    const done = (await dataOf<{ splitDepartment: Reorganized }>(hub, SPLIT, { input }, admin)).splitDepartment;
    expect(done.reorganization.kind).toBe('SPLIT');
    expect(done.predecessors).toEqual([{ code: 'SO_LDTBXH', validTo: '2025-03-01', successor: { code: 'SO_NV' }, successors: [{ code: 'SO_NV' }, { code: 'SO_YT_XH' }] }]);
    expect(done.successors).toEqual([
      { code: 'SO_NV', validFrom: null, predecessors: [{ code: 'SO_LDTBXH' }] },
      { code: 'SO_YT_XH', validFrom: '2025-03-01', predecessors: [{ code: 'SO_LDTBXH' }] },
    ]);
    expect(done.moved).toEqual({ taskGroups: 0, tasks: 3, pilotModels: 2, supportedPilotModels: 3, metrics: 2, connectors: 2 });
    expect(done.apiKeysToReview).toEqual([{ id: labourIt.id, name: 'CNTT Sở LĐTBXH' }]);

    const leads = await dataOf<{ m24: { leadDepartment: { code: string } }; m30: { leadDepartment: { code: string } }; m08: { supportingDepartments: Array<{ code: string }> }; labour: { pilotModels: unknown[] } }>(
      hub,
      '{ m24: pilotModel(code: "M24") { leadDepartment { code } } m30: pilotModel(code: "M30") { leadDepartment { code } } m08: pilotModel(code: "M08") { supportingDepartments { code } } labour: department(code: "SO_LDTBXH") { pilotModels { code } } }',
    );
    expect(leads).toEqual({ m24: { leadDepartment: { code: 'SO_NV' } }, m30: { leadDepartment: { code: 'SO_YT_XH' } }, m08: { supportingDepartments: expect.arrayContaining([{ code: 'SO_YT_XH' }]) }, labour: { pilotModels: [] } });
    const before = byCode(await scorecards('2025-02-28', ['SO_LDTBXH', 'SO_NV', 'SO_YT_XH'], { from: '2024-01-01', to: '2024-12-31' }));
    const after = byCode(await scorecards('2025-03-01', ['SO_LDTBXH', 'SO_NV', 'SO_YT_XH'], { from: '2024-01-01', to: '2024-12-31' }));
    expect([before.SO_LDTBXH.tasks.total, before.SO_LDTBXH.pilotModels.total, before.SO_NV.tasks.total, before.SO_YT_XH.pilotModels.total]).toEqual([3, 2, expect.any(Number), 0]);
    expect([after.SO_LDTBXH.tasks.total, after.SO_LDTBXH.pilotModels.total, after.SO_NV.tasks.total - before.SO_NV.tasks.total, after.SO_YT_XH.tasks.total, after.SO_YT_XH.pilotModels.total]).toEqual([0, 0, 2, 1, 1]);
    const created = await dataOf<{ department: { validFrom: string; validTo: string | null } }>(hub, '{ department(code: "SO_YT_XH") { validFrom validTo } }');
    expect(created.department).toEqual({ validFrom: '2025-03-01', validTo: null });
  });

  it('createDepartment creates a department that can take over work; bad input names its field', async () => {
    const created = await dataOf<{ createDepartment: { code: string; validFrom: string } }>(
      hub,
      'mutation { createDepartment(input: { code: "SO_NNMT", name: "Department of Agriculture and Environment", nameVi: "Sở Nông nghiệp và Môi trường", validFrom: "2025-03-01", note: "Sáp nhập Sở TN&MT" }) { code validFrom } }',
      undefined,
      admin,
    );
    expect(created.createDepartment).toEqual({ code: 'SO_NNMT', validFrom: '2025-03-01' });
    const CREATE = 'mutation($input: DepartmentInput!) { createDepartment(input: $input) { code } }';
    const department = { code: 'SO_X2', name: 'X', nameVi: 'X', note: 'Lý do' };
    await refused(CREATE, { ...department, code: 'SO_NNMT' }, 'CONFLICT', 'input.code', 'already exists');
    await refused(CREATE, { ...department, code: 'bad code' }, 'BAD_USER_INPUT', 'input.code', 'letters, digits');
    await refused(CREATE, { ...department, nameVi: '' }, 'BAD_USER_INPUT', 'input.nameVi', 'required');
    await refused(CREATE, { ...department, note: '' }, 'BAD_USER_INPUT', 'input.note', 'say why');
    hub.counter.reset();
    const merged = (await dataOf<{ mergeDepartments: Reorganized }>(hub, MERGE, { input: { departments: ['SO_TNMT'], into: 'SO_NNMT', effectiveDate: '2025-03-01', note: NOTE } }, admin)).mergeDepartments;
    expect(merged.moved).toMatchObject({ tasks: 2, pilotModels: 2, metrics: 2 });
    // Set-based: one statement per kind of item and table of records, whatever the number of items.
    const statements = hub.counter.statements.map((statement) => statement.replace(/[`"]/g, ''));
    const times = (prefix: string) => statements.filter((statement) => statement.startsWith(prefix)).length;
    expect(['UPDATE task SET', 'UPDATE pilot_model SET', 'UPDATE metric SET', 'INSERT INTO department_move', 'INSERT INTO task_change', 'INSERT INTO pilot_model_change', 'INSERT INTO metric_change'].map(times))
      .toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(statements.length).toBeLessThanOrEqual(34);
    // Work moved into SO_NNMT on 1 March 2025: merging it away again needs a later date.
    await refused(MERGE, { departments: ['SO_NNMT'], into: 'SO_XD', effectiveDate: '2025-03-01', note: NOTE }, 'BAD_USER_INPUT', 'input.effectiveDate', 'is not after department "SO_NNMT" begins');
    await refused(MERGE, { departments: ['SO_NV'], into: 'SO_NNMT', effectiveDate: '2025-02-01', note: NOTE }, 'BAD_USER_INPUT', 'input.effectiveDate', 'must be after 2025-03-01, when work last moved to "SO_NV"');
  });

  it('two reorganizations of one department at once: one is recorded, the other refused as already reorganized', async () => {
    const into = (successor: string) => ({ departments: ['SO_GDDT'], into: successor, effectiveDate: '2025-06-01', note: NOTE });
    const answers = await Promise.all([hub.graphql(MERGE, { input: into('SO_XD') }, admin), hub.graphql(MERGE, { input: into('SO_NNMT') }, admin)]);
    const refusals = answers.flatMap((answer) => answer.errors ?? []);
    expect(answers.filter((answer) => answer.data?.mergeDepartments).length).toBe(1);
    expect(refusals.map((error) => [error.extensions?.field, error.message.includes('already reorganized (MERGE effective 2025-06-01)')])).toEqual([['input.departments[0]', true]]);
    const [{ n }] = await hub.dataSource.query("SELECT COUNT(*) AS n FROM department_succession s JOIN department d ON d.id = s.predecessorId WHERE d.code = 'SO_GDDT'");
    expect(Number(n)).toBe(1);
  });
});
