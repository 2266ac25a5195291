import fs from 'node:fs';
import path from 'node:path';
import { In, Not } from 'typeorm';
import { ProgressStatus } from '../../src/common/enums';
import { PilotModel } from '../../src/modules/catalogue/pilot-model.entity';
import { Role } from '../../src/security/principal';
import { keyHeaders } from '../helpers/auth';
import { QUIET_BACKGROUND, startTestHub, type TestHub } from '../helpers/test-hub';

const example = (name: string) => fs.readFileSync(path.join(__dirname, '..', '..', 'schema', 'examples', `${name}.graphql`), 'utf8');

/** Puts exactly `count` models (M01, M02, …) in progress and the others in another status. */
async function modelsInProgress(hub: TestHub, count: number): Promise<void> {
  const codes = Array.from({ length: count }, (_, index) => `M${String(index + 1).padStart(2, '0')}`);
  const repository = hub.dataSource.getRepository(PilotModel);
  await repository.update({ code: In(codes) }, { status: ProgressStatus.IN_PROGRESS });
  await repository.update({ code: Not(In(codes)) }, { status: ProgressStatus.NOT_STARTED });
}

async function statementsFor(hub: TestHub, query: string): Promise<{ statements: number; edges: number }> {
  hub.counter.reset();
  const response = await hub.graphql<{ pilotModels?: { edges: unknown[] }; administrativeUnits?: { edges: unknown[] } }>(query);
  expect(response.errors).toBeUndefined();
  const connection = response.data!.pilotModels ?? response.data!.administrativeUnits!;
  return { statements: hub.counter.statements.length, edges: connection.edges.length };
}

describe('SQL statements do not grow with the number of rows', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ environment: QUIET_BACKGROUND });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('PilotModels costs the same for 10 and for 38 models', async () => {
    await modelsInProgress(hub, 10);
    const ten = await statementsFor(hub, example('PilotModels'));
    await modelsInProgress(hub, 38);
    const all = await statementsFor(hub, example('PilotModels'));
    expect(ten.edges).toBe(10);
    expect(all.edges).toBe(38);
    expect(all.statements).toBe(ten.statements);
    // Authenticating the caller is one lookup of the key (and at most once a minute its last-use time).
    expect(hub.counter.authentication.filter((statement) => statement.startsWith('SELECT'))).toHaveLength(1);
    // count, page (with departments and task groups), metrics, latest values
    expect(all.statements).toBeLessThanOrEqual(4);
  });

  it('Units costs the same for 3 and for 21 districts with their communes', async () => {
    const query = (first: number) => example('Units').replace('first: 50', `first: ${first}`);
    const three = await statementsFor(hub, query(3));
    const all = await statementsFor(hub, query(21));
    expect(three.edges).toBe(3);
    expect(all.edges).toBe(21);
    expect(all.statements).toBe(three.statements);
  });

  it('DashboardSeries and DistrictRanking cost the same few statements for one metric as for two', async () => {
    const count = async (query: string) => {
      hub.counter.reset();
      const response = await hub.graphql(query);
      expect(response.errors).toBeUndefined();
      return hub.counter.statements.length;
    };
    const series = await count(example('DashboardSeries'));
    expect(await count(example('DashboardSeries').replace('"DVC_ONLINE_RATE", ', ''))).toBe(series);
    const ranking = await count(example('DistrictRanking'));
    expect(await count(example('DistrictRanking').replace(', "DVC_ONLINE_RATE"', ''))).toBe(ranking);
    // metrics, units, predecessor links, reporting levels, values; then the Metric (and unit) loaders
    expect(series).toBeLessThanOrEqual(6);
    expect(ranking).toBeLessThanOrEqual(7);
  });

  it('ProgramOverview and MetricObservations run a fixed, small number of statements', async () => {
    hub.counter.reset();
    await hub.graphql(example('ProgramOverview'));
    const overview = hub.counter.statements.length;
    hub.counter.reset();
    await hub.graphql(example('MetricObservations'));
    const observations = hub.counter.statements.length;
    // The programme, its task groups, the tasks' totals, and the model and task counts together (one UNION ALL).
    expect(overview).toBe(4);
    expect(observations).toBeLessThanOrEqual(7);
  });

  it('department scoping costs no statement: a DEPARTMENT_IT key runs as many as an administrator', async () => {
    const scoped = await keyHeaders(hub, Role.DEPARTMENT_IT, ['SO_YT']);
    await hub.graphql('{ viewer { role } }', undefined, scoped);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const query = `{
      observations(first: 100, orderBy: PERIOD_DESC) { totalCount edges { node { value metric { code department { code } } } } }
      connectors(first: 10) { totalCount edges { node { name } } }
      departments(first: 20) { edges { node { code pilotModels { metrics { code } } } } }
    }`;
    const count = async (headers?: Record<string, string>) => {
      hub.counter.reset();
      const response = await hub.graphql<{ observations: { totalCount: number; edges: Array<{ node: { metric: { department: { code: string } } } }> } }>(query, undefined, headers);
      expect(response.errors).toBeUndefined();
      return { statements: hub.counter.statements.length, data: response.data! };
    };
    const admin = await count();
    const health = await count(scoped);
    expect(health.statements).toBe(admin.statements);
    // The scoped list is really narrower (the filter is part of its SQL).
    expect(health.data.observations.totalCount).toBeLessThan(admin.data.observations.totalCount);
    expect(new Set(health.data.observations.edges.map((edge) => edge.node.metric.department.code))).toEqual(new Set(['SO_YT']));
  });
});
