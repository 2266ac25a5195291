/**
 * previewConnector: a definition that is not saved is checked as validateConnector checks it, a few records are
 * read from its source (a local HTTP feed), mapped, and validated as ingestion would — and nothing is written.
 * Another department's key is refused. Both databases.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Role } from '../../src/security/principal';
import { dataOf, errorOf } from '../helpers/api';
import { createKey } from '../helpers/auth';
import { startTestHub, type TestHub } from '../helpers/test-hub';

const PREVIEW = `mutation($input: ConnectorInput!, $id: ID) {
  previewConnector(input: $input, id: $id) { ok message samples rows rejections { rowIndex reason message raw } }
}`;

interface Preview { ok: boolean; message: string; samples: Array<Record<string, unknown>>; rows: Array<Record<string, unknown>>; rejections: Array<{ rowIndex: number; reason: string; message: string; raw: Record<string, unknown> }> }

const RECORDS = [
  { communeCode: '16681', date: '2025-08-01', visits: 57 },
  { communeCode: '99999', date: '2025-08-01', visits: 3 },
  { communeCode: '16681', date: '2025-08-02', visits: -4 },
];

const MAPPING = { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'communeCode' }, period: { field: 'date' }, value: { field: 'visits' } };

describe('previewConnector', () => {
  let hub: TestHub;
  let feed: http.Server;
  let feedUrl: string;
  let requests = 0;
  let healthKey: Record<string, string>;
  let justiceKey: Record<string, string>;

  const input = () => ({ name: 'Xem trước — lượt khám', kind: 'http-json', department: 'SO_YT', schedule: '0 17 * * *', config: { url: `${feedUrl}/visits`, recordsPath: 'data' }, mapping: MAPPING });
  const counts = async () => {
    const tables = ['connector', 'connector_run', 'run_rejection', 'observation'];
    const answer: Record<string, number> = {};
    for (const table of tables) answer[table] = Number((await hub.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
    return answer;
  };

  beforeAll(async () => {
    feed = http.createServer((_request, response) => {
      requests += 1;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ data: RECORDS }));
    });
    await new Promise<void>((resolve) => feed.listen(0, '127.0.0.1', resolve));
    feedUrl = `http://127.0.0.1:${(feed.address() as AddressInfo).port}`;
    hub = await startTestHub({ allowServers: [feedUrl], allowServersFor: ['SO_YT'] });
    healthKey = (await createKey(hub, Role.DEPARTMENT_IT, ['SO_YT'])).headers;
    justiceKey = (await createKey(hub, Role.DEPARTMENT_IT, ['SO_TP'])).headers;
  });
  afterAll(async () => {
    await hub.close();
    await new Promise((resolve) => feed.close(resolve));
  });

  it('reads samples, maps them and shows the rejections ingestion would raise, writing nothing', async () => {
    const before = await counts();
    const { previewConnector: preview } = await dataOf<{ previewConnector: Preview }>(hub, PREVIEW, { input: input() }, healthKey);
    expect(await counts()).toEqual(before);
    expect(requests).toBeGreaterThan(0);
    expect([preview.ok, preview.samples]).toEqual([true, RECORDS]);
    expect(preview.rows.map((row) => [row.metric, row.unit, row.period, row.value])).toEqual([
      ['KCB_BIOMETRIC_VISITS', '16681', '2025-08-01', 57],
      ['KCB_BIOMETRIC_VISITS', '99999', '2025-08-01', 3],
      ['KCB_BIOMETRIC_VISITS', '16681', '2025-08-02', -4],
    ]);
    expect(preview.rejections.map((rejection) => [rejection.rowIndex, rejection.reason])).toEqual([
      [1, 'UNKNOWN_UNIT'],
      [2, 'NEGATIVE_VALUE'],
    ]);
    expect(preview.rejections[0].raw).toMatchObject({ unit: '99999' });
    expect(preview.rejections.every((rejection) => rejection.message.length > 0)).toBe(true);
  });

  it('checks the definition as validateConnector does, and previews a change to a saved connector', async () => {
    const error = await errorOf(hub, PREVIEW, { input: { ...input(), mapping: { metric: { constant: 'KCB_BIOMETRIC_VISITS' } } } }, healthKey);
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    const { registerConnector } = await dataOf<{ registerConnector: { id: string } }>(hub, 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }', { input: input() }, healthKey);
    const before = await counts();
    const changed = { ...input(), mapping: { ...MAPPING, value: { field: 'missing' } } };
    const { previewConnector: preview } = await dataOf<{ previewConnector: Preview }>(hub, PREVIEW, { input: changed, id: registerConnector.id }, healthKey);
    expect([preview.ok, preview.rejections.map((rejection) => rejection.reason)]).toEqual([true, ['MISSING_VALUE', 'UNKNOWN_UNIT', 'MISSING_VALUE']]);
    expect(await counts()).toEqual(before);
  });

  it('refuses another department\'s key, for a new definition and for a saved connector, reading nothing', async () => {
    const before = await counts();
    const read = requests;
    const outside = await errorOf(hub, PREVIEW, { input: input() }, justiceKey);
    expect(outside.extensions?.code).toBe('FORBIDDEN');
    const { connectors } = await dataOf<{ connectors: { edges: Array<{ node: { id: string } }> } }>(hub, 'query { connectors(first: 5, filter: { department: "SO_YT", kind: "http-json" }) { edges { node { id } } } }');
    const saved = await errorOf(hub, PREVIEW, { input: { ...input(), department: 'SO_TP' }, id: connectors.edges[0].node.id }, justiceKey);
    expect(['FORBIDDEN', 'NOT_FOUND', 'BAD_USER_INPUT']).toContain(saved.extensions?.code);
    expect([requests, await counts()]).toEqual([read, before]);
  });
});
