/**
 * A page of pilot models reads its models' lead departments and task groups in the page's statement, and their
 * metrics and latest values together with the page rather than after it. These tests check that the answers are those the fields give one model at a time, whatever page,
 * cursor, direction, fragment or caller.
 */
import { PilotModel } from '../../src/modules/catalogue/pilot-model.entity';
import { Role } from '../../src/security/principal';
import { keyHeaders } from '../helpers/auth';
import { QUIET_BACKGROUND, startTestHub, type TestHub } from '../helpers/test-hub';

interface MetricAnswer {
  code: string;
  latest: { period: string; value: number | null } | null;
}
interface ModelAnswer {
  code: string;
  leadDepartment: { code: string; name: string };
  taskGroup: { code: string; number: number };
  metrics: MetricAnswer[];
}
interface PageAnswer {
  pilotModels: { pageInfo: { endCursor: string | null; startCursor: string | null }; edges: Array<{ node: ModelAnswer }> };
}

const PAGE = `query Page($first: Int, $after: String, $last: Int, $before: String) {
  pilotModels(first: $first, after: $after, last: $last, before: $before, orderBy: { field: DEADLINE, direction: DESC }) {
    pageInfo { startCursor endCursor }
    edges { node { code leadDepartment { code name } taskGroup { code number } metrics { code latest { period value } } } }
  }
}`;

/** The same fields through a named fragment and an inline fragment. */
const PAGE_WITH_FRAGMENTS = `query Page($first: Int) {
  pilotModels(first: $first, orderBy: { field: DEADLINE, direction: DESC }) {
    pageInfo { startCursor endCursor }
    ...Models
  }
}
fragment Models on PilotModelConnection { edges { node { code ... on PilotModel { leadDepartment { code name } taskGroup { code number } metrics { code latest { period value } } } } } }`;

/** One model at a time, through the lookup: what every page must agree with. */
const ONE_MODEL = `query One($code: String!) {
  pilotModel(code: $code) { code leadDepartment { code name } taskGroup { code number } metrics { code latest { period value } } }
}`;

describe('a page of pilot models with their metrics and latest values', () => {
  let hub: TestHub;
  let expected: Map<string, ModelAnswer>;

  beforeAll(async () => {
    hub = await startTestHub({ environment: QUIET_BACKGROUND });
    // Every seeded model has metrics: one more model, without any, must get an empty list on every page.
    const models = hub.dataSource.getRepository(PilotModel);
    const template: Partial<PilotModel> = { ...(await models.findOneByOrFail({ code: 'M20' })) };
    delete template.id;
    await models.insert({ ...template, code: 'M99', number: 99, name: 'A model without metrics', nameVi: 'Mô hình chưa có chỉ tiêu' });
    const all = await hub.graphql<{ pilotModels: { edges: Array<{ node: { code: string } }> } }>('{ pilotModels(first: 100) { edges { node { code } } } }');
    expected = new Map();
    for (const { node } of all.data!.pilotModels.edges) {
      const one = await hub.graphql<{ pilotModel: ModelAnswer }>(ONE_MODEL, { code: node.code });
      expect(one.errors).toBeUndefined();
      expected.set(node.code, one.data!.pilotModel);
    }
  });
  afterAll(async () => {
    await hub.close();
  });

  const page = (variables: Record<string, unknown>, query = PAGE, headers?: Record<string, string>) => hub.graphql<PageAnswer>(query, variables, headers);

  it('walks every page forwards and backwards with the answers of the one-model lookups', async () => {
    // The seeded catalogue must give this test something to compare: models with and without metrics, and values.
    const models = [...expected.values()];
    expect(models.length).toBe(39);
    expect(models.some((model) => model.metrics.length === 0)).toBe(true);
    expect(models.some((model) => model.metrics.some((metric) => metric.latest !== null))).toBe(true);

    /** Every model, page by page: forwards with first/after, or backwards with last/before. */
    const walk = async (size: number, backwards: boolean): Promise<ModelAnswer[]> => {
      const models: ModelAnswer[] = [];
      let cursor: string | null = null;
      do {
        const response = await page(backwards ? { last: size, before: cursor } : { first: size, after: cursor });
        expect(response.errors).toBeUndefined();
        const { edges, pageInfo } = response.data!.pilotModels;
        const nodes = edges.map((edge) => edge.node);
        if (backwards) models.unshift(...nodes);
        else models.push(...nodes);
        cursor = edges.length === size ? (backwards ? pageInfo.startCursor : pageInfo.endCursor) : null;
      } while (cursor);
      return models;
    };
    const forwards = await walk(7, false);
    expect(forwards.map((model) => model.code).sort()).toEqual([...expected.keys()].sort());
    for (const model of forwards) expect(model).toEqual(expected.get(model.code));
    const backwards = await walk(5, true);
    expect(backwards).toEqual(forwards);
  });

  it('gives the same answer through fragments', async () => {
    const plain = await page({ first: 12 });
    const fragments = await page({ first: 12 }, PAGE_WITH_FRAGMENTS);
    expect(fragments.errors).toBeUndefined();
    expect(fragments.data).toEqual(plain.data);
  });

  it('refuses the latest values of other departments to a department-scoped caller, and gives its own', async () => {
    const health = await keyHeaders(hub, Role.DEPARTMENT_IT, ['SO_YT']);
    const response = await page({ first: 39 }, PAGE, health);
    const own = await hub.graphql<{ metrics: { edges: Array<{ node: { code: string } }> } }>('{ metrics(first: 100, filter: { department: "SO_YT" }) { edges { node { code } } } }');
    const ownCodes = new Set(own.data!.metrics.edges.map((edge) => edge.node.code));
    expect(ownCodes.size).toBeGreaterThan(0);

    const refused = (response.errors ?? []).map((error) => ({ code: error.extensions?.code, path: error.path }));
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((error) => error.code === 'FORBIDDEN')).toBe(true);
    const models = response.data!.pilotModels.edges.map((edge) => edge.node);
    let ownWithValues = 0;
    models.forEach((model, modelIndex) => {
      model.metrics.forEach((metric, metricIndex) => {
        const path = ['pilotModels', 'edges', modelIndex, 'node', 'metrics', metricIndex, 'latest'];
        const isRefused = refused.some((error) => JSON.stringify(error.path) === JSON.stringify(path));
        expect(isRefused).toBe(!ownCodes.has(metric.code));
        const reference = expected.get(model.code)!.metrics[metricIndex];
        expect(metric.latest).toEqual(isRefused ? null : reference.latest);
        if (!isRefused && metric.latest) ownWithValues += 1;
      });
    });
    expect(ownWithValues).toBeGreaterThan(0);
  });
});
