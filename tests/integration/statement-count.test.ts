import fs from 'node:fs';
import path from 'node:path';
import { In, Not } from 'typeorm';
import { ProgressStatus } from '../../src/common/enums';
import { PilotModel } from '../../src/modules/catalogue/pilot-model.entity';
import { startTestHub, type TestHub } from '../helpers/test-hub';

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
    // The interrupted-run sweep (every RUN_HEARTBEAT_SECONDS) would be counted if it fell inside a request.
    hub = await startTestHub({ environment: { RUN_HEARTBEAT_SECONDS: '600' } });
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
    // count + page + departments + task groups + metrics + latest values
    expect(all.statements).toBeLessThanOrEqual(6);
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
    expect(overview).toBeLessThanOrEqual(6);
    expect(observations).toBeLessThanOrEqual(7);
  });
});
