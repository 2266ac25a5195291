import { PilotModel } from '../../src/modules/catalogue/pilot-model.entity';
import { Task } from '../../src/modules/catalogue/task.entity';
import { Metric } from '../../src/modules/metrics/metric.entity';
import { Observation } from '../../src/modules/observations/observation.entity';
import { AdministrativeUnit } from '../../src/modules/units/administrative-unit.entity';
import * as catalogue from '../../src/seed/catalogue-data';
import { dataOf, errorOf, MODEL_CODES, type Page } from '../helpers/api';
import { startTestHub, type TestHub } from '../helpers/test-hub';

type Code = { code: string };

const MODELS_PAGE = `
  query Models($first: Int, $after: String, $last: Int, $before: String, $orderBy: AccountableItemOrder, $filter: AccountableItemFilter) {
    pilotModels(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy, filter: $filter) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { code deadline } }
    }
  }`;

type ModelsPage = { pilotModels: Page<{ code: string; deadline: string }> };

/** Ids by code, read straight from the database: the tie-breaker of every ordering. */
async function idsByCode(hub: TestHub, entity: typeof PilotModel | typeof Task): Promise<Map<string, number>> {
  const rows = await hub.dataSource.getRepository(entity).find({ select: { id: true, code: true } });
  return new Map(rows.map((row) => [row.code, row.id]));
}

/** Sorts seed items by (deadline desc, id desc), the documented DEADLINE DESC ordering. */
function byDeadlineDesc<T extends { code: string; deadline: string }>(items: T[], ids: Map<string, number>): string[] {
  return [...items]
    .sort((a, b) => (a.deadline === b.deadline ? ids.get(b.code)! - ids.get(a.code)! : a.deadline < b.deadline ? 1 : -1))
    .map((item) => item.code);
}

describe('Relay pagination of root and nested connections', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(async () => {
    await hub.close();
  });

  const page = (variables: Record<string, unknown>) => dataOf<ModelsPage>(hub, MODELS_PAGE, variables).then((data) => data.pilotModels);

  it('the seed holds the 38 models M01 … M38', () => {
    expect(catalogue.pilotModels.map((model) => model.code).sort()).toEqual(MODEL_CODES);
  });

  it('walks first: 7 / after to the end: 38 distinct codes in order, hasNextPage false only on the last page', async () => {
    const pages: Array<Page<{ code: string }>> = [];
    let after: string | null = null;
    for (let guard = 0; guard < 10; guard += 1) {
      const current = await page({ first: 7, after });
      pages.push(current);
      expect(current.totalCount).toBe(38);
      expect(current.pageInfo.startCursor).toBe(current.edges[0].cursor);
      expect(current.pageInfo.endCursor).toBe(current.edges[current.edges.length - 1].cursor);
      if (!current.pageInfo.hasNextPage) break;
      after = current.pageInfo.endCursor;
    }
    expect(pages.map((p) => p.edges.length)).toEqual([7, 7, 7, 7, 7, 3]);
    expect(pages.map((p) => p.pageInfo.hasNextPage)).toEqual([true, true, true, true, true, false]);
    expect(pages.map((p) => p.pageInfo.hasPreviousPage)).toEqual([false, true, true, true, true, true]);
    const codes = pages.flatMap((p) => p.edges.map((edge) => edge.node.code));
    expect(codes).toEqual(MODEL_CODES);
    expect(new Set(codes).size).toBe(38);
    expect(new Set(pages.flatMap((p) => p.edges.map((edge) => edge.cursor))).size).toBe(38);
  });

  it('last: 5 gives M34 … M38 with a previous page and no next page', async () => {
    const current = await page({ last: 5 });
    expect(current.edges.map((edge) => edge.node.code)).toEqual(['M34', 'M35', 'M36', 'M37', 'M38']);
    expect(current.totalCount).toBe(38);
    expect(current.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
  });

  it('walking backwards with last: 7 / before gives the same 38 codes', async () => {
    const pages: Array<Page<{ code: string }>> = [];
    let before: string | null = null;
    for (let guard = 0; guard < 10; guard += 1) {
      const current = await page({ last: 7, before });
      pages.push(current);
      expect(current.totalCount).toBe(38);
      if (!current.pageInfo.hasPreviousPage) break;
      before = current.pageInfo.startCursor;
    }
    expect(pages.map((p) => p.edges.length)).toEqual([7, 7, 7, 7, 7, 3]);
    expect(pages.map((p) => p.pageInfo.hasPreviousPage)).toEqual([true, true, true, true, true, false]);
    expect(pages.map((p) => p.pageInfo.hasNextPage)).toEqual([false, true, true, true, true, true]);
    expect(pages[0].edges.map((edge) => edge.node.code)).toEqual(['M32', 'M33', 'M34', 'M35', 'M36', 'M37', 'M38']);
    const codes = [...pages].reverse().flatMap((p) => p.edges.map((edge) => edge.node.code));
    expect(codes).toEqual(MODEL_CODES);
  });

  it('a cursor of a forward page can be read backwards from, and vice versa', async () => {
    const forward = await page({ first: 10 });
    const m10 = forward.edges[9].cursor;
    const beforeM10 = await page({ last: 3, before: m10 });
    expect(beforeM10.edges.map((edge) => edge.node.code)).toEqual(['M07', 'M08', 'M09']);
    const afterM07 = await page({ first: 2, after: beforeM10.pageInfo.startCursor });
    expect(afterM07.edges.map((edge) => edge.node.code)).toEqual(['M08', 'M09']);
  });

  it('orderBy DEADLINE DESC matches sorting the seed by (deadline desc, id desc), in one page and walked by 5', async () => {
    const ids = await idsByCode(hub, PilotModel);
    const expected = byDeadlineDesc(catalogue.pilotModels, ids);
    const orderBy = { field: 'DEADLINE', direction: 'DESC' };
    const whole = await page({ first: 50, orderBy });
    expect(whole.edges.map((edge) => edge.node.code)).toEqual(expected);
    // Deadlines as served are non-increasing.
    const deadlines = whole.edges.map((edge) => edge.node.deadline);
    expect([...deadlines].sort().reverse()).toEqual(deadlines);

    const walked: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 10; guard += 1) {
      const current = await page({ first: 5, after, orderBy });
      walked.push(...current.edges.map((edge) => edge.node.code));
      if (!current.pageInfo.hasNextPage) break;
      after = current.pageInfo.endCursor;
    }
    expect(walked).toEqual(expected);

    const tail = await page({ last: 4, orderBy });
    expect(tail.edges.map((edge) => edge.node.code)).toEqual(expected.slice(-4));
  });

  it('filters and pagination combine: the 20 models in progress, 7 at a time', async () => {
    const expected = catalogue.pilotModels.filter((model) => model.status === 'IN_PROGRESS').map((model) => model.code);
    const walked: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 10; guard += 1) {
      const current = await page({ first: 7, after, filter: { status: 'IN_PROGRESS' } });
      expect(current.totalCount).toBe(20);
      walked.push(...current.edges.map((edge) => edge.node.code));
      if (!current.pageInfo.hasNextPage) break;
      after = current.pageInfo.endCursor;
    }
    expect(walked).toEqual(expected);
  });

  it('a cursor issued for one ordering is BAD_USER_INPUT under another', async () => {
    const byCode = await page({ first: 3 });
    const byDeadline = await page({ first: 3, orderBy: { field: 'DEADLINE', direction: 'ASC' } });
    const byStatus = await page({ first: 3, orderBy: { field: 'STATUS', direction: 'ASC' } });
    const mismatches: Array<[Record<string, unknown>, string]> = [
      [{ first: 3, after: byCode.pageInfo.endCursor, orderBy: { field: 'DEADLINE', direction: 'ASC' } }, 'after'],
      [{ first: 3, after: byDeadline.pageInfo.endCursor }, 'after'],
      [{ first: 3, after: byDeadline.pageInfo.endCursor, orderBy: { field: 'DEADLINE', direction: 'DESC' } }, 'after'],
      [{ first: 3, after: byStatus.pageInfo.endCursor, orderBy: { field: 'CODE', direction: 'ASC' } }, 'after'],
      [{ last: 3, before: byCode.pageInfo.endCursor, orderBy: { field: 'STATUS', direction: 'ASC' } }, 'before'],
    ];
    for (const [variables, argument] of mismatches) {
      const error = await errorOf(hub, MODELS_PAGE, variables);
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.extensions?.field).toBe(argument);
      expect(error.message).toContain(argument);
    }
    // The same cursor under its own ordering still works.
    const next = await page({ first: 3, after: byDeadline.pageInfo.endCursor, orderBy: { field: 'DEADLINE', direction: 'ASC' } });
    expect(next.edges).toHaveLength(3);
  });

  it('garbage cursors are BAD_USER_INPUT naming the argument', async () => {
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ first: 3, after: 'not-a-cursor' }, 'after'],
      [{ first: 3, after: '' }, 'after'],
      [{ first: 3, after: forged({ any: 'object' }) }, 'after'],
      [{ first: 3, after: forged([{ x: 1 }, 2]) }, 'after'],
      [{ first: 3, after: forged([]) }, 'after'],
      [{ last: 3, before: '!!!' }, 'before'],
    ];
    for (const [variables, argument] of cases) {
      const error = await errorOf(hub, MODELS_PAGE, variables);
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.extensions?.field).toBe(argument);
      expect(error.message).toContain(argument);
    }
  });

  it('page sizes outside 0 … 500 and first with last are BAD_USER_INPUT naming the argument', async () => {
    const cases: Array<[string, string]> = [
      ['{ pilotModels(first: 501) { totalCount } }', 'first'],
      ['{ pilotModels(first: -1) { totalCount } }', 'first'],
      ['{ pilotModels(last: 501) { totalCount } }', 'last'],
      ['{ pilotModels(first: 2, last: 2) { totalCount } }', 'first'],
      ['{ taskGroup(code: "TG01") { tasks(first: 501) { totalCount } } }', 'first'],
    ];
    for (const [query, argument] of cases) {
      const error = await errorOf(hub, query);
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.message).toContain(argument);
    }
    const tooMany = await errorOf(hub, '{ pilotModels(first: 501) { totalCount } }');
    expect(tooMany.message).toMatch(/^first: .*500/);
    const both = await errorOf(hub, '{ pilotModels(first: 2, last: 2) { totalCount } }');
    expect(both.message).toMatch(/last/);
    // The maximum itself is allowed.
    const max = await dataOf<ModelsPage>(hub, MODELS_PAGE, { first: 500 });
    expect(max.pilotModels.edges).toHaveLength(38);
    expect(max.pilotModels.pageInfo.hasNextPage).toBe(false);
  });

  it('first: 0 returns no edges, the full totalCount and (Relay) a next page', async () => {
    const empty = await page({ first: 0 });
    expect(empty.edges).toEqual([]);
    expect(empty.totalCount).toBe(38);
    expect(empty.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false, startCursor: null, endCursor: null });
    const filtered = await page({ first: 0, filter: { status: 'COMPLETED' } });
    expect(filtered.edges).toEqual([]);
    expect(filtered.totalCount).toBe(6);
  });

  it('walks a nested connection: taskGroup TG01 tasks two at a time', async () => {
    const query = `query($after: String) { taskGroup(code: "TG01") { code tasks(first: 2, after: $after) {
      totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { code taskGroup { code } } } } } }`;
    const expected = catalogue.tasks.filter((task) => task.taskGroupCode === 'TG01').map((task) => task.code);
    expect(expected).toEqual(['T01.01', 'T01.02', 'T01.03', 'T01.04', 'T01.05', 'T01.06']);
    const pages: Array<Page<{ code: string; taskGroup: Code }>> = [];
    let after: string | null = null;
    for (let guard = 0; guard < 10; guard += 1) {
      const data: { taskGroup: { code: string; tasks: Page<{ code: string; taskGroup: Code }> } } = await dataOf(hub, query, { after });
      pages.push(data.taskGroup.tasks);
      expect(data.taskGroup.tasks.totalCount).toBe(6);
      if (!data.taskGroup.tasks.pageInfo.hasNextPage) break;
      after = data.taskGroup.tasks.pageInfo.endCursor;
    }
    expect(pages.map((p) => p.edges.length)).toEqual([2, 2, 2]);
    expect(pages.map((p) => p.pageInfo.hasNextPage)).toEqual([true, true, false]);
    expect(pages.map((p) => p.pageInfo.hasPreviousPage)).toEqual([false, true, true]);
    expect(pages.flatMap((p) => p.edges.map((edge) => edge.node.code))).toEqual(expected);
    expect(pages.flatMap((p) => p.edges.map((edge) => edge.node.taskGroup.code))).toEqual(Array(6).fill('TG01'));

    const lastTwo = await dataOf<{ taskGroup: { tasks: Page<Code> } }>(
      hub,
      '{ taskGroup(code: "TG01") { tasks(last: 2) { pageInfo { hasPreviousPage hasNextPage } edges { node { code } } } } }',
    );
    expect(lastTwo.taskGroup.tasks.edges.map((edge) => edge.node.code)).toEqual(['T01.05', 'T01.06']);
    expect(lastTwo.taskGroup.tasks.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
  });

  it('nested pages of every task group at once follow (deadline desc, id desc) within each group', async () => {
    const ids = await idsByCode(hub, Task);
    const data = await dataOf<{ program: { taskGroups: Array<{ code: string; tasks: Page<Code> }> } }>(
      hub,
      `{ program(code: "DA06") { taskGroups { code tasks(first: 3, orderBy: { field: DEADLINE, direction: DESC }) {
          totalCount pageInfo { hasNextPage } edges { node { code } } } } } }`,
    );
    expect(data.program.taskGroups.map((group) => group.code)).toEqual(catalogue.taskGroups.map((group) => group.code));
    for (const group of data.program.taskGroups) {
      const seedTasks = catalogue.tasks.filter((task) => task.taskGroupCode === group.code);
      expect(group.tasks.totalCount).toBe(seedTasks.length);
      expect(group.tasks.pageInfo.hasNextPage).toBe(seedTasks.length > 3);
      expect(group.tasks.edges.map((edge) => edge.node.code)).toEqual(byDeadlineDesc(seedTasks, ids).slice(0, 3));
    }
  });

  it('nested last: 2 of every task group at once are the last two of each group, in order', async () => {
    const data = await dataOf<{ program: { taskGroups: Array<{ code: string; tasks: Page<Code> }> } }>(
      hub,
      '{ program(code: "DA06") { taskGroups { code tasks(last: 2) { pageInfo { hasPreviousPage hasNextPage } edges { node { code } } } } } }',
    );
    for (const group of data.program.taskGroups) {
      const seedTasks = catalogue.tasks.filter((task) => task.taskGroupCode === group.code).map((task) => task.code);
      expect(group.tasks.edges.map((edge) => edge.node.code)).toEqual(seedTasks.slice(-2));
      expect(group.tasks.pageInfo).toEqual({ hasPreviousPage: seedTasks.length > 2, hasNextPage: false });
    }
  });

  it('observations walked by RECORDED_AT_DESC and PERIOD_DESC follow the database order with the id as tie-breaker', async () => {
    const metric = await hub.dataSource.getRepository(Metric).findOneByOrFail({ code: 'DVC_ONLINE_RATE' });
    const rows = await hub.dataSource.getRepository(Observation).find({ where: { metricId: metric.id }, select: { id: true, period: true, unitId: true, recordedAt: true, periodStart: true } });
    expect(rows).toHaveLength(3 * 21);
    const unitCodes = new Map(
      (await hub.dataSource.getRepository(AdministrativeUnit).find({ select: { id: true, code: true } })).map((unit) => [unit.id, unit.code]),
    );
    const key = (row: { period: string; unitId: number }) => `${row.period}/${unitCodes.get(row.unitId)}`;
    const byRecordedAt = [...rows].sort((a, b) => b.recordedAt.getTime() - a.recordedAt.getTime() || b.id - a.id).map(key);
    const byPeriodDesc = [...rows].sort((a, b) => (a.periodStart === b.periodStart ? b.unitId - a.unitId : a.periodStart < b.periodStart ? 1 : -1)).map(key);
    const query = `query($after: String, $orderBy: ObservationOrder) { metric(code: "DVC_ONLINE_RATE") {
      observations(first: 10, after: $after, orderBy: $orderBy) { totalCount pageInfo { hasNextPage endCursor } edges { node { period unit { code } } } } } }`;
    for (const [orderBy, expected] of [['RECORDED_AT_DESC', byRecordedAt], ['PERIOD_DESC', byPeriodDesc]] as const) {
      const walked: string[] = [];
      let after: string | null = null;
      for (let guard = 0; guard < 10; guard += 1) {
        const data: { metric: { observations: Page<{ period: string; unit: Code }> } } = await dataOf(hub, query, { after, orderBy });
        expect(data.metric.observations.totalCount).toBe(63);
        walked.push(...data.metric.observations.edges.map((edge) => `${edge.node.period}/${edge.node.unit.code}`));
        if (!data.metric.observations.pageInfo.hasNextPage) break;
        after = data.metric.observations.pageInfo.endCursor;
      }
      expect(walked).toEqual(expected);
    }
  });

  it('a first page of observations, a list without bound, is counted by a COUNT of its own, not by a window over every row it keeps', async () => {
    // COUNT(*) OVER () reads (and sorts) every observation the filters keep to hand over 5 of them: 4 to 30 times the time of
    // the page and a COUNT on 60,000 to 300,000 observations. A short list (pilot models) counts in its page's statement.
    hub.counter.reset();
    const data = await dataOf<{ observations: { totalCount: number; edges: unknown[] } }>(hub, '{ observations(first: 5) { totalCount edges { node { period } } } }');
    const [{ n }] = await hub.dataSource.query('SELECT COUNT(*) AS n FROM observation');
    expect(data.observations.totalCount).toBe(Number(n));
    expect(data.observations.edges).toHaveLength(5);
    const observationStatements = hub.counter.statements.filter((statement) => /FROM [`"]observation[`"]/.test(statement));
    expect(observationStatements.filter((statement) => /OVER \(\)/.test(statement))).toEqual([]);
    // (On MariaDB a statement starts with its time limit: SET STATEMENT max_statement_time=… FOR SELECT …)
    expect(observationStatements.filter((statement) => /(^|FOR )SELECT COUNT\(/.test(statement))).toHaveLength(1);

    hub.counter.reset();
    expect((await page({ first: 2 })).totalCount).toBe(38);
    expect(hub.counter.statements.filter((statement) => /OVER \(\)/.test(statement))).toHaveLength(1);
  });

  it('a nested cursor walks the rest of its group under the same ordering', async () => {
    const ids = await idsByCode(hub, Task);
    const expected = byDeadlineDesc(catalogue.tasks.filter((task) => task.taskGroupCode === 'TG06'), ids);
    const query = `query($after: String) { taskGroup(code: "TG06") {
      tasks(first: 4, after: $after, orderBy: { field: DEADLINE, direction: DESC }) { pageInfo { hasNextPage endCursor } edges { node { code } } } } }`;
    const first = await dataOf<{ taskGroup: { tasks: Page<Code> } }>(hub, query, { after: null });
    const rest = await dataOf<{ taskGroup: { tasks: Page<Code> } }>(hub, query, { after: first.taskGroup.tasks.pageInfo.endCursor });
    expect([...first.taskGroup.tasks.edges, ...rest.taskGroup.tasks.edges].map((edge) => edge.node.code)).toEqual(expected);
    expect(rest.taskGroup.tasks.pageInfo.hasNextPage).toBe(false);

    const mismatch = await errorOf(
      hub,
      `query($after: String) { taskGroup(code: "TG06") { tasks(first: 4, after: $after) { edges { node { code } } } } }`,
      { after: first.taskGroup.tasks.pageInfo.endCursor },
    );
    expect(mismatch.extensions?.code).toBe('BAD_USER_INPUT');
    expect(mismatch.message).toContain('after');
  });
});
