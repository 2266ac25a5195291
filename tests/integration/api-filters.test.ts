import { Metric } from '../../src/modules/metrics/metric.entity';
import { Observation } from '../../src/modules/observations/observation.entity';
import * as catalogue from '../../src/seed/catalogue-data';
import { dataOf, errorOf, type Page } from '../helpers/api';
import { startTestHub, type TestHub } from '../helpers/test-hub';

type Codes = { totalCount: number; edges: Array<{ node: { code: string } }> };

const AS_OF = '2024-04-02';

/** The seed's answer to "not completed and past its deadline on asOf". */
const overdueInSeed = (items: Array<{ code: string; deadline: string; status: string }>, asOf: string) =>
  items.filter((item) => item.deadline < asOf && item.status !== 'COMPLETED').map((item) => item.code);

describe('filters of pilot models, tasks, metrics and observations', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(async () => {
    await hub.close();
  });

  const models = async (filter: Record<string, unknown>) =>
    (await dataOf<{ pilotModels: Codes }>(
      hub,
      'query($filter: AccountableItemFilter) { pilotModels(filter: $filter, first: 100) { totalCount edges { node { code } } } }',
      { filter },
    )).pilotModels;
  const tasks = async (filter: Record<string, unknown>) =>
    (await dataOf<{ tasks: Codes }>(
      hub,
      'query($filter: AccountableItemFilter) { tasks(filter: $filter, first: 100) { totalCount edges { node { code } } } }',
      { filter },
    )).tasks;
  const codesOf = (connection: Codes) => connection.edges.map((edge) => edge.node.code);

  it('pilotModels by status: 6 completed, 20 in progress, 12 not started, the seed’s models', async () => {
    const expected: Record<string, number> = { COMPLETED: 6, IN_PROGRESS: 20, NOT_STARTED: 12 };
    for (const [status, count] of Object.entries(expected)) {
      const connection = await models({ status });
      expect(connection.totalCount).toBe(count);
      expect(codesOf(connection)).toEqual(catalogue.pilotModels.filter((model) => model.status === status).map((model) => model.code));
    }
  });

  it('tasks by status, lead department and task group are the seed’s tasks', async () => {
    for (const status of ['COMPLETED', 'IN_PROGRESS', 'NOT_STARTED']) {
      const connection = await tasks({ status });
      const expected = catalogue.tasks.filter((task) => task.status === status).map((task) => task.code);
      expect(connection.totalCount).toBe(expected.length);
      expect(codesOf(connection)).toEqual(expected);
    }
    expect(codesOf(await tasks({ leadDepartment: 'SO_LDTBXH' }))).toEqual(
      catalogue.tasks.filter((task) => task.leadDepartmentCode === 'SO_LDTBXH').map((task) => task.code),
    );
    const group = await tasks({ taskGroup: 'TG09', status: 'NOT_STARTED' });
    expect(codesOf(group)).toEqual(['T09.02', 'T09.04']);
    expect((await tasks({})).totalCount).toBe(51);
  });

  it('pilotModels by lead department SO_YT are the seed’s SO_YT models', async () => {
    const expected = catalogue.pilotModels.filter((model) => model.leadDepartmentCode === 'SO_YT').map((model) => model.code);
    expect(expected).toEqual(['M03', 'M06', 'M27', 'M28', 'M29']);
    const connection = await models({ leadDepartment: 'SO_YT' });
    expect(connection.totalCount).toBe(expected.length);
    expect(codesOf(connection)).toEqual(expected);
    // The department's own list agrees.
    const department = await dataOf<{ department: { pilotModels: Array<{ code: string }> } }>(
      hub,
      '{ department(code: "SO_YT") { pilotModels { code } } }',
    );
    expect(department.department.pilotModels.map((model) => model.code)).toEqual(expected);
  });

  it('pilotModels by task group and by several filters at once', async () => {
    const inTg05 = catalogue.pilotModels.filter((model) => model.taskGroupCode === 'TG05');
    expect(codesOf(await models({ taskGroup: 'TG05' }))).toEqual(inTg05.map((model) => model.code));
    const combined = await models({ taskGroup: 'TG05', status: 'IN_PROGRESS', leadDepartment: 'SO_TP' });
    expect(codesOf(combined)).toEqual(
      inTg05.filter((model) => model.status === 'IN_PROGRESS' && model.leadDepartmentCode === 'SO_TP').map((model) => model.code),
    );
    expect(combined.totalCount).toBe(3);
  });

  it('pilotModels overdue on 2024-04-02 are those due before it and not completed', async () => {
    const expected = overdueInSeed(catalogue.pilotModels, AS_OF);
    expect(expected).toEqual(['M20', 'M36']);
    const overdue = await models({ overdue: true, asOf: AS_OF });
    expect(overdue.totalCount).toBe(expected.length);
    expect(codesOf(overdue)).toEqual(expected);
    const onTime = await models({ overdue: false, asOf: AS_OF });
    expect(onTime.totalCount).toBe(38 - expected.length);
    expect(codesOf(onTime).some((code) => expected.includes(code))).toBe(false);
    // On the deadline itself nothing is late yet.
    expect((await models({ overdue: true, asOf: '2024-03-31' })).totalCount).toBe(overdueInSeed(catalogue.pilotModels, '2024-03-31').length);
    expect(overdueInSeed(catalogue.pilotModels, '2024-03-31')).toEqual([]);
  });

  it('tasks overdue on 2024-04-02 are exactly the 10 open tasks due 2024-03-31', async () => {
    const expected = ['T01.02', 'T02.02', 'T02.03', 'T03.02', 'T03.03', 'T04.01', 'T05.01', 'T05.04', 'T06.01', 'T07.03'];
    expect(overdueInSeed(catalogue.tasks, AS_OF)).toEqual(expected);
    const data = await dataOf<{ tasks: Page<{ code: string; deadline: string; status: string; overdue: boolean; daysLate: number }> }>(
      hub,
      `{ tasks(filter: { overdue: true, asOf: "${AS_OF}" }, first: 100) {
          totalCount edges { node { code deadline status overdue(asOf: "${AS_OF}") daysLate(asOf: "${AS_OF}") } } } }`,
    );
    expect(data.tasks.totalCount).toBe(10);
    expect(data.tasks.edges.map((edge) => edge.node.code)).toEqual(expected);
    for (const { node } of data.tasks.edges) {
      expect(node).toMatchObject({ deadline: '2024-03-31', overdue: true, daysLate: 2 });
      expect(node.status).not.toBe('COMPLETED');
    }
    // The programme's overdue count agrees with the filter.
    const program = await dataOf<{ program: { taskCounts: { overdue: number; total: number } } }>(
      hub,
      `{ program(code: "DA06") { taskCounts(asOf: "${AS_OF}") { overdue total } } }`,
    );
    expect(program.program.taskCounts).toEqual({ overdue: 10, total: 51 });
  });

  it('an unknown department or task group in a filter is NOT_FOUND naming the code', async () => {
    for (const [filter, code] of [
      ['{ leadDepartment: "SO_XYZ" }', 'SO_XYZ'],
      ['{ taskGroup: "TG99" }', 'TG99'],
    ]) {
      for (const root of ['pilotModels', 'tasks']) {
        const error = await errorOf(hub, `{ ${root}(filter: ${filter}) { totalCount } }`);
        expect(error.extensions?.code).toBe('NOT_FOUND');
        expect(error.message).toContain(code);
      }
    }
    const metricFilter = await errorOf(hub, '{ metrics(filter: { department: "SO_XYZ" }) { totalCount } }');
    expect(metricFilter.extensions?.code).toBe('NOT_FOUND');
    expect(metricFilter.message).toContain('SO_XYZ');
  });

  it('metrics filtered by pilot model M03 are its two metrics', async () => {
    const expected = catalogue.metrics.filter((metric) => metric.pilotModelCode === 'M03').map((metric) => metric.code);
    expect(expected).toEqual(['KCB_BIOMETRIC_VISITS', 'KCB_FACILITIES_READY_RATE']);
    const data = await dataOf<{ metrics: Page<{ code: string; kind: string; pilotModel: { code: string } }> }>(
      hub,
      '{ metrics(filter: { pilotModel: "M03" }) { totalCount edges { node { code kind pilotModel { code } } } } }',
    );
    expect(data.metrics.totalCount).toBe(2);
    expect(data.metrics.edges.map((edge) => edge.node)).toEqual([
      { code: 'KCB_BIOMETRIC_VISITS', kind: 'COUNT', pilotModel: { code: 'M03' } },
      { code: 'KCB_FACILITIES_READY_RATE', kind: 'RATE', pilotModel: { code: 'M03' } },
    ]);
    const unknown = await errorOf(hub, '{ metrics(filter: { pilotModel: "M99" }) { totalCount } }');
    expect(unknown.extensions?.code).toBe('NOT_FOUND');
    expect(unknown.message).toContain('M99');

    const rates = await dataOf<{ metrics: Codes }>(hub, '{ metrics(filter: { kind: RATE, department: "SO_YT" }, first: 100) { totalCount edges { node { code } } } }');
    expect(codesOf(rates.metrics)).toEqual(
      catalogue.metrics.filter((metric) => metric.kind === 'RATE' && metric.departmentCode === 'SO_YT').map((metric) => metric.code).sort(),
    );
  });

  it('observations from/to a MONTH period on a daily metric: the 29 days of February 2024 × 21 districts', async () => {
    const data = await dataOf<{ metric: { frequency: string; observations: Page<{ period: string; unit: { level: string } }> } }>(
      hub,
      `{ metric(code: "KCB_BIOMETRIC_VISITS") { frequency observations(filter: { from: "2024-02", to: "2024-02" }, first: 500) {
          totalCount pageInfo { hasNextPage } edges { node { period unit { level } } } } } }`,
    );
    const observations = data.metric.observations;
    expect(data.metric.frequency).toBe('DAY');
    expect(observations.totalCount).toBe(29 * 21);
    expect(observations.edges).toHaveLength(500);
    expect(observations.pageInfo.hasNextPage).toBe(true);
    expect(observations.edges[0].node.period).toBe('2024-02-01');
    expect(observations.edges.every((edge) => edge.node.period.startsWith('2024-02-') && edge.node.unit.level === 'DISTRICT')).toBe(true);

    const metric = await hub.dataSource.getRepository(Metric).findOneByOrFail({ code: 'KCB_BIOMETRIC_VISITS' });
    const inSql = await hub.dataSource
      .getRepository(Observation)
      .createQueryBuilder('observation')
      .where('observation.metricId = :metricId', { metricId: metric.id })
      .andWhere('observation.periodStart >= :from AND observation.periodEnd <= :to', { from: '2024-02-01', to: '2024-02-29' })
      .getCount();
    expect(inSql).toBe(29 * 21);

    // The root connection with the metric's code agrees; a quarter spans all 91 days.
    const root = await dataOf<{ february: { totalCount: number }; quarter: { totalCount: number } }>(
      hub,
      `{ february: observations(filter: { metric: "KCB_BIOMETRIC_VISITS", from: "2024-02", to: "2024-02" }) { totalCount }
         quarter: observations(filter: { metric: "KCB_BIOMETRIC_VISITS", from: "2024-Q1", to: "2024-Q1" }) { totalCount } }`,
    );
    expect(root).toEqual({ february: { totalCount: 29 * 21 }, quarter: { totalCount: 91 * 21 } });
  });

  it('from after to is BAD_USER_INPUT naming filter.from', async () => {
    for (const query of [
      '{ metric(code: "KCB_BIOMETRIC_VISITS") { observations(filter: { from: "2024-03", to: "2024-02" }) { totalCount } } }',
      '{ observations(filter: { metric: "KCB_BIOMETRIC_VISITS", from: "2024-03-02", to: "2024-03-01" }) { totalCount } }',
    ]) {
      const error = await errorOf(hub, query);
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.extensions?.field).toBe('filter.from');
      expect(error.message).toContain('filter.from');
    }
  });

  it('malformed periods are BAD_USER_INPUT mentioning Period, as literals and as variables', async () => {
    for (const period of ['2024-13', '2024-3', '2024-Q5', '24']) {
      const literal = await errorOf(hub, `{ metric(code: "KCB_BIOMETRIC_VISITS") { observations(filter: { from: "${period}" }) { totalCount } } }`);
      expect(literal.extensions?.code).toBe('BAD_USER_INPUT');
      expect(literal.message).toContain('Period');
      expect(literal.message).toContain(period);

      const variable = await errorOf(
        hub,
        'query($from: Period) { metric(code: "KCB_BIOMETRIC_VISITS") { observations(filter: { from: $from }) { totalCount } } }',
        { from: period },
      );
      expect(variable.extensions?.code).toBe('BAD_USER_INPUT');
      expect(variable.message).toContain('Period');
      expect(variable.message).toContain(period);

      const root = await errorOf(hub, 'query($to: Period) { observations(filter: { to: $to }) { totalCount } }', { to: period });
      expect(root.extensions?.code).toBe('BAD_USER_INPUT');
    }
    // A number is not a period either.
    const number = await errorOf(hub, '{ observations(filter: { from: 2024 }) { totalCount } }');
    expect(number.extensions?.code).toBe('BAD_USER_INPUT');
    expect(number.message).toContain('Period');
  });

  it('malformed dates are BAD_USER_INPUT, as literals and as variables', async () => {
    for (const date of ['2024-02-30', '2024-13-01', '2024-4-2', '02/04/2024']) {
      const literal = await errorOf(hub, `{ tasks(filter: { overdue: true, asOf: "${date}" }) { totalCount } }`);
      expect(literal.extensions?.code).toBe('BAD_USER_INPUT');
      expect(literal.message).toContain('Date');
      expect(literal.message).toContain(date);

      const variable = await errorOf(hub, 'query($asOf: Date) { pilotModels(filter: { overdue: true, asOf: $asOf }) { totalCount } }', { asOf: date });
      expect(variable.extensions?.code).toBe('BAD_USER_INPUT');
      expect(variable.message).toContain('Date');

      const argument = await errorOf(hub, `{ task(code: "T01.02") { overdue(asOf: "${date}") } }`);
      expect(argument.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('an enum value that does not exist is BAD_USER_INPUT', async () => {
    const literal = await errorOf(hub, '{ pilotModels(filter: { status: DONE }) { totalCount } }');
    expect(literal.extensions?.code).toBe('BAD_USER_INPUT');
    expect(literal.message).toContain('DONE');
    const variable = await errorOf(hub, 'query($filter: AccountableItemFilter) { tasks(filter: $filter) { totalCount } }', { filter: { status: 'DONE' } });
    expect(variable.extensions?.code).toBe('BAD_USER_INPUT');
    expect(variable.message).toContain('DONE');
    const orderField = await errorOf(hub, '{ pilotModels(orderBy: { field: NAME }) { totalCount } }');
    expect(orderField.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
