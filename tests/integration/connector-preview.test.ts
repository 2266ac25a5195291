/**
 * previewConnector: a definition that is not saved is checked as validateConnector checks it, a few records are
 * read from its source (a local HTTP feed), mapped, and validated as ingestion would — and nothing is written.
 * Secrets typed with the definition (a source that requires a token) are used for that read only: never stored,
 * logged or answered. Another department's key is refused. Both databases.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuditEvent } from '../../src/security/audit-event.entity';
import { Role } from '../../src/security/principal';
import { rowCounts } from '../helpers/test-database';
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

/** The token the protected source requires; it echoes the Authorization header it was sent in every record. */
const TOKEN = 'preview-token-6d2f91c4';

const MAPPING = { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'communeCode' }, period: { field: 'date' }, value: { field: 'visits' } };

describe('previewConnector', () => {
  let hub: TestHub;
  let feed: http.Server;
  let feedUrl: string;
  /** The same source on another port: a connector moved there must be given its secrets again. */
  let moved: http.Server;
  let movedUrl: string;
  let requests = 0;
  let healthKey: Record<string, string>;
  let justiceKey: Record<string, string>;
  const logLines: string[] = [];

  const input = () => ({ name: 'Xem trước — lượt khám', kind: 'http-json', department: 'SO_YT', schedule: '0 17 * * *', config: { url: `${feedUrl}/visits`, recordsPath: 'data' }, mapping: MAPPING });
  const counts = () => rowCounts(hub.dataSource, ['connector', 'connector_run', 'run_rejection', 'observation']);

  beforeAll(async () => {
    const source = (request: http.IncomingMessage, response: http.ServerResponse) => {
      requests += 1;
      response.setHeader('content-type', 'application/json');
      if (request.url?.startsWith('/private')) {
        const sent = request.headers.authorization ?? '';
        response.statusCode = sent === `Bearer ${TOKEN}` ? 200 : 401;
        response.end(JSON.stringify(sent === `Bearer ${TOKEN}` ? { data: RECORDS.map((record) => ({ ...record, echo: sent })) } : { error: `refused ${sent}` }));
        return;
      }
      response.end(JSON.stringify({ data: RECORDS }));
    };
    [feed, moved] = [http.createServer(source), http.createServer(source)];
    await Promise.all([feed, moved].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
    feedUrl = `http://127.0.0.1:${(feed.address() as AddressInfo).port}`;
    movedUrl = `http://127.0.0.1:${(moved.address() as AddressInfo).port}`;
    hub = await startTestHub({ allowServers: [feedUrl, movedUrl], allowServersFor: ['SO_YT'], logDestination: { write: (line: string) => void logLines.push(line) } });
    healthKey = (await createKey(hub, Role.DEPARTMENT_IT, ['SO_YT'])).headers;
    justiceKey = (await createKey(hub, Role.DEPARTMENT_IT, ['SO_TP'])).headers;
  });
  afterAll(async () => {
    await hub.close();
    await Promise.all([feed, moved].map((server) => new Promise((resolve) => server.close(resolve))));
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

  it('reads a source that requires a token with the secret typed in the form, storing, logging and answering it nowhere', async () => {
    const privateInput = (token: string) => ({
      ...input(),
      name: 'Xem trước — nguồn có khoá',
      config: { url: `${feedUrl}/private`, recordsPath: 'data', headers: { Authorization: 'Bearer {{secret:token}}' } },
      secrets: [{ name: 'token', value: token }],
    });
    const before = await counts();
    const secretsBefore = Number((await hub.dataSource.query('SELECT COUNT(*) AS n FROM connector_secret'))[0].n);
    const { previewConnector: preview } = await dataOf<{ previewConnector: Preview }>(hub, PREVIEW, { input: privateInput(TOKEN) }, healthKey);
    expect([preview.ok, preview.samples.map((sample) => [sample.communeCode, sample.visits])]).toEqual([true, RECORDS.map((record) => [record.communeCode, record.visits])]);
    expect(preview.rows.map((row) => row.value)).toEqual([57, 3, -4]);
    // The source echoed the header it was sent: the answer shows it redacted.
    expect(preview.samples[0].echo).toBe('Bearer ***');

    // A wrong token: the source refuses, the preview says so, naming neither token.
    const wrong = (await dataOf<{ previewConnector: Preview }>(hub, PREVIEW, { input: privateInput('wrong-token-0a1b2c') }, healthKey)).previewConnector;
    expect([wrong.ok, wrong.samples, wrong.rows]).toEqual([false, [], []]);
    expect(wrong.message).toMatch(/401/);
    // Without the secret: the kind says it is not set, before any request.
    const requestsBefore = requests;
    const unset = (await dataOf<{ previewConnector: Preview }>(hub, PREVIEW, { input: { ...privateInput(''), secrets: [] } }, healthKey)).previewConnector;
    expect([unset.ok, unset.message]).toEqual([false, expect.stringContaining('secret "token" is not set')]);
    expect(requests).toBe(requestsBefore);

    expect(await counts()).toEqual(before);
    expect(Number((await hub.dataSource.query('SELECT COUNT(*) AS n FROM connector_secret'))[0].n)).toBe(secretsBefore);
    const answers = JSON.stringify([preview, wrong, unset]);
    const audited = JSON.stringify(await hub.dataSource.getRepository(AuditEvent).find());
    for (const place of [answers, audited, logLines.join('\n')]) {
      expect(place).not.toContain(TOKEN);
      expect(place).not.toContain('wrong-token-0a1b2c');
    }
    expect(logLines.length).toBeGreaterThan(0);
    expect(audited).toContain('previewConnector');
  });

  it('previews a saved connector with its stored secret, or with one typed again in its place', async () => {
    const config = { url: `${feedUrl}/private`, recordsPath: 'data', headers: { Authorization: 'Bearer {{secret:token}}' } };
    const saved = { ...input(), name: 'Nguồn có khoá — đã lưu', config, secrets: [{ name: 'token', value: TOKEN }] };
    const { registerConnector } = await dataOf<{ registerConnector: { id: string } }>(hub, 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }', { input: saved }, healthKey);
    const withStored = (await dataOf<{ previewConnector: Preview }>(hub, PREVIEW, { input: { ...saved, secrets: [] }, id: registerConnector.id }, healthKey)).previewConnector;
    expect([withStored.ok, withStored.rows.length]).toEqual([true, 3]);
    const retyped = { ...saved, secrets: [{ name: 'token', value: 'retyped-token-9e8d7c' }] };
    const replaced = (await dataOf<{ previewConnector: Preview }>(hub, PREVIEW, { input: retyped, id: registerConnector.id }, healthKey)).previewConnector;
    expect([replaced.ok, replaced.message]).toEqual([false, expect.stringMatching(/401/)]);
    // The stored secret is still the one the connector runs with.
    const again = (await dataOf<{ previewConnector: Preview }>(hub, PREVIEW, { input: { ...saved, secrets: [] }, id: registerConnector.id }, healthKey)).previewConnector;
    expect(again.ok).toBe(true);

    // Moved to another port: the stored secret is never sent there; the preview needs it typed again, and then uses it.
    const elsewhere = { ...saved, config: { ...config, url: `${movedUrl}/private` } };
    const refused = await errorOf(hub, PREVIEW, { input: { ...elsewhere, secrets: [] }, id: registerConnector.id }, healthKey);
    expect([refused.extensions?.code, refused.extensions?.field]).toEqual(['BAD_USER_INPUT', 'input.secrets']);
    const movedPreview = (await dataOf<{ previewConnector: Preview }>(hub, PREVIEW, { input: { ...elsewhere, secrets: [{ name: 'token', value: TOKEN }] }, id: registerConnector.id }, healthKey)).previewConnector;
    expect([movedPreview.ok, movedPreview.rows.length]).toEqual([true, 3]);
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
