import fs from 'node:fs';
import path from 'node:path';
import { parse, validate } from 'graphql';
import { buildHubSchema } from '../../src/graphql/schema';
import { startTestHub, type TestHub } from '../helpers/test-hub';
import { addDays } from '../../src/common/period';
import { communes2024 } from '../../src/feeds/feed-units';
import { biometricVisits } from '../../src/feeds/feed-values';
import { adminUnits } from '../../src/seed/admin-units';

const EXAMPLES = path.join(__dirname, '..', '..', 'schema', 'examples');
const example = (name: string) => fs.readFileSync(path.join(EXAMPLES, `${name}.graphql`), 'utf8');

type Node<T> = { edges: Array<{ node: T; cursor: string }>; totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

describe('schema/examples operations', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(async () => {
    await hub.close();
  });

  it('every example validates against the schema', async () => {
    const schema = await buildHubSchema();
    const files = fs.readdirSync(EXAMPLES).filter((file) => file.endsWith('.graphql'));
    expect(files.sort()).toEqual([
      'DashboardSeries.graphql',
      'DistrictRanking.graphql',
      'MetricObservations.graphql',
      'PilotModels.graphql',
      'ProgramOverview.graphql',
      'ProgressReport.graphql',
      'Units.graphql',
    ]);
    for (const file of files) {
      expect(validate(schema, parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')))).toEqual([]);
    }
  });

  it('GraphQL answers are never stored by caches (Cache-Control: no-store)', async () => {
    for (const query of [example('ProgramOverview'), '{ __typename }']) {
      const response = await fetch(hub.hub.url, { method: 'POST', headers: { ...hub.headers, 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('ProgramOverview: 38 models 6/20/12 and 51 tasks in 10 groups', async () => {
    const response = await hub.graphql<{ program: {
      code: string;
      pilotModelCounts: { total: number; completed: number; inProgress: number; notStarted: number };
      taskCounts: { total: number; completed: number; inProgress: number; notStarted: number; overdue: number };
      taskGroups: Array<{ code: string; tasks: { totalCount: number } }>;
    } }>(example('ProgramOverview'));
    expect(response.errors).toBeUndefined();
    const program = response.data!.program;
    expect(program.code).toBe('DA06');
    expect(program.pilotModelCounts).toEqual({ total: 38, completed: 6, inProgress: 20, notStarted: 12 });
    expect(program.taskCounts.total).toBe(51);
    expect(program.taskCounts.completed + program.taskCounts.inProgress + program.taskCounts.notStarted).toBe(51);
    expect(program.taskGroups).toHaveLength(10);
    expect(program.taskGroups.map((group) => group.code)).toEqual(
      ['TG01', 'TG02', 'TG03', 'TG04', 'TG05', 'TG06', 'TG07', 'TG08', 'TG09', 'TG10'],
    );
    expect(program.taskGroups.reduce((sum, group) => sum + group.tasks.totalCount, 0)).toBe(51);
  });

  it('ProgramOverview counts the 10 open Q1 tasks as overdue on 2 April 2024', async () => {
    const response = await hub.graphql<{ program: { taskCounts: { overdue: number } } }>(
      '{ program(code: "DA06") { taskCounts(asOf: "2024-04-02") { overdue } } }',
    );
    expect(response.data!.program.taskCounts.overdue).toBe(10);
  });

  it('PilotModels: the 20 models in progress with departments, groups and latest metric values', async () => {
    const response = await hub.graphql<{ pilotModels: Node<{
      code: string; status: string; nameVi: string; overdue: boolean; deadline: string;
      leadDepartment: { code: string }; taskGroup: { code: string };
      metrics: Array<{ code: string; kind: string; latest: { period: string; value: number } | null }>;
    }> }>(example('PilotModels'));
    expect(response.errors).toBeUndefined();
    const connection = response.data!.pilotModels;
    expect(connection.totalCount).toBe(20);
    expect(connection.edges).toHaveLength(20);
    expect(connection.pageInfo.hasNextPage).toBe(false);
    expect(connection.edges.every(({ node }) => node.status === 'IN_PROGRESS')).toBe(true);
    const m03 = connection.edges.find(({ node }) => node.code === 'M03')!.node;
    expect(m03.leadDepartment.code).toBe('SO_YT');
    expect(m03.nameVi).toBe('Khám chữa bệnh bằng CCCD gắn chip / sinh trắc học');
    const visits = m03.metrics.find((metric) => metric.code === 'KCB_BIOMETRIC_VISITS')!;
    expect(visits.latest?.period).toBe('2024-03-31');
    expect(visits.latest?.value).toBeGreaterThan(0);
  });

  it('MetricObservations: Q1 2024 daily values with their units, latest equal to the sum of the last day', async () => {
    const response = await hub.graphql<{ metric: {
      code: string; kind: string; frequency: string; pilotModel: { code: string };
      latest: { period: string; value: number };
      observations: { totalCount: number; edges: Array<{ node: { period: string; value: number; unit: { code: string; level: string } } }> };
    } }>(example('MetricObservations'));
    expect(response.errors).toBeUndefined();
    const metric = response.data!.metric;
    expect(metric).toMatchObject({ code: 'KCB_BIOMETRIC_VISITS', kind: 'COUNT', frequency: 'DAY', pilotModel: { code: 'M03' } });
    // 91 days of Q1 2024 × 21 districts.
    expect(metric.observations.totalCount).toBe(91 * 21);
    expect(metric.observations.edges).toHaveLength(100);
    expect(metric.observations.edges[0].node.period).toBe('2024-01-01');
    expect(metric.observations.edges[0].node.unit.level).toBe('DISTRICT');

    const withBounds = await hub.graphql<{ metric: { latest: { periodStart: string; periodEnd: string }; observations: { edges: Array<{ node: { periodStart: string; periodEnd: string } }> } } }>(
      '{ metric(code: "DVC_ONLINE_RATE") { latest { periodStart periodEnd } observations(filter: { from: "2024-02", to: "2024-02" }, first: 1) { edges { node { periodStart periodEnd } } } } }',
    );
    expect(withBounds.data!.metric.latest).toEqual({ periodStart: '2024-03-01', periodEnd: '2024-03-31' });
    expect(withBounds.data!.metric.observations.edges[0].node).toEqual({ periodStart: '2024-02-01', periodEnd: '2024-02-29' });

    const lastDay = await hub.graphql<{ metric: { observations: { edges: Array<{ node: { value: number } }> } } }>(
      '{ metric(code: "KCB_BIOMETRIC_VISITS") { observations(filter: { from: "2024-03-31", to: "2024-03-31" }, first: 50) { edges { node { value } } } } }',
    );
    const values = lastDay.data!.metric.observations.edges.map(({ node }) => node.value);
    expect(values).toHaveLength(21);
    expect(metric.latest).toEqual({ period: '2024-03-31', value: values.reduce((sum, value) => sum + value, 0) });
  });

  it('ProgressReport: Q1 2024 on the meeting day, ten tasks and two models overdue with department, person and deadline', async () => {
    const response = await hub.graphql<{ progressReport: {
      asOf: string;
      tasks: { overdue: number };
      tasksDueInPeriod: { total: number; openOverdue: number };
      overdue: Array<{ kind: string; code: string; leadDepartment: { code: string }; responsiblePerson: string; deadline: string; daysLate: number }>;
      departments: Array<{ department: { code: string }; tasks: { openOverdue: number }; dataQuality: { rejectionRate: number | null } }>;
      csvUrl: string;
    } }>(example('ProgressReport'));
    expect(response.errors).toBeUndefined();
    const report = response.data!.progressReport;
    expect(report.asOf).toBe('2024-04-02');
    expect(report.tasks.overdue).toBe(10);
    expect(report.tasksDueInPeriod).toMatchObject({ total: 23, openOverdue: 10 });
    expect(report.overdue.map((item) => item.kind)).toEqual([...Array(10).fill('TASK'), 'PILOT_MODEL', 'PILOT_MODEL']);
    expect(report.overdue.every((item) => item.deadline === '2024-03-31' && item.daysLate === 2 && item.responsiblePerson !== '')).toBe(true);
    expect(report.departments.find((card) => card.department.code === 'CA_TINH')!.tasks.openOverdue).toBe(3);
    expect(report.departments.every((card) => card.dataQuality.rejectionRate === null)).toBe(true);
    expect(report.csvUrl).toBe('/reports/progress.csv?period=2024-Q1&asOf=2024-04-02&program=DA06&lang=vi');
  });

  it('DashboardSeries: Q1 2024 months of a rate and a daily count, complete, equal to the sums of their observations', async () => {
    const response = await hub.graphql<{ series: Array<{
      metric: { code: string };
      points: Array<{ period: string; value: number; numerator: number | null; denominator: number | null; expected: number; reported: number; complete: boolean; sources: string[] }>;
    }> }>(example('DashboardSeries'));
    expect(response.errors).toBeUndefined();
    const [rate, visits] = response.data!.series;
    expect(rate.metric.code).toBe('DVC_ONLINE_RATE');
    expect(rate.points.map((point) => point.period)).toEqual(['2024-01', '2024-02', '2024-03']);
    for (const point of rate.points) {
      expect(point.value).toBeCloseTo((100 * point.numerator!) / point.denominator!, 10);
      expect(point).toMatchObject({ expected: 21, reported: 21, complete: true });
    }
    // 21 districts × 31 days in January.
    expect(visits.points[0]).toMatchObject({ expected: 651, reported: 651, complete: true });
    // Every month from the demo seed at district level: no break.
    for (const point of [...rate.points, ...visits.points]) expect(point).toMatchObject({ levelChanged: false, sources: ['demo-seed'], sourceChanged: false });
    const [{ total }] = await hub.dataSource.query(
      "SELECT SUM(o.value) AS total FROM observation o JOIN metric m ON m.id = o.metricId WHERE m.code = 'KCB_BIOMETRIC_VISITS' AND o.periodStart BETWEEN '2024-01-01' AND '2024-01-31'",
    );
    expect(visits.points[0].value).toBe(Number(total));
  });

  it('DistrictRanking: five districts by Q1 2024 visits, in descending order, each with its online rate', async () => {
    const response = await hub.graphql<{ aggregate: { totalRows: number; rows: Array<{
      unit: { code: string; name: string };
      measures: Array<{ metric: { code: string }; value: number; complete: boolean }>;
    }> } }>(example('DistrictRanking'));
    expect(response.errors).toBeUndefined();
    const { totalRows, rows } = response.data!.aggregate;
    expect(totalRows).toBe(21);
    expect(rows).toHaveLength(5);
    const visits = rows.map((row) => row.measures.find((measure) => measure.metric.code === 'KCB_BIOMETRIC_VISITS')!.value);
    expect([...visits].sort((a, b) => b - a)).toEqual(visits);
    // The demo data comes from the feed generator: the district whose communes see the most visits in Q1 2024 leads.
    const quarter: string[] = [];
    for (let day = '2024-01-01'; day <= '2024-03-31'; day = addDays(day, 1)) quarter.push(day);
    const districtVisits = (code: string) =>
      adminUnits.edition2024.districts.find((district) => district.code === code)!.communes.reduce(
        (sum, commune) => sum + quarter.reduce((inner, day) => inner + biometricVisits(communes2024.find((unit) => unit.code === commune.code)!, day), 0),
        0,
      );
    const leader = adminUnits.edition2024.districts.map((district) => district.code).sort((a, b) => districtVisits(b) - districtVisits(a))[0];
    expect(rows[0].unit.code).toBe(leader);
    expect(visits[0]).toBe(districtVisits(leader));
    expect(rows.every((row) => row.measures.length === 2 && row.measures.every((measure) => measure.complete))).toBe(true);
  });

  it('Units: 21 districts in force on 2024-04-02 whose communes add up to 460', async () => {
    const response = await hub.graphql<{ administrativeUnits: Node<{ code: string; name: string; level: string; children: { totalCount: number } }> }>(
      example('Units'),
    );
    expect(response.errors).toBeUndefined();
    const units = response.data!.administrativeUnits;
    expect(units.totalCount).toBe(21);
    expect(units.edges.map(({ node }) => node.code)).toEqual(Array.from({ length: 21 }, (_, index) => String(412 + index)));
    expect(units.edges[0].node.name).toBe('Thành phố Vinh');
    expect(units.edges.reduce((sum, { node }) => sum + node.children.totalCount, 0)).toBe(460);
  });
});
