/**
 * The outbound allowlist through the API: administrators manage it, registration, changes and tests name the
 * configuration field whose host is not allowed, and runs fail with OUTBOUND_BLOCKED when a host was removed,
 * resolves to loopback, or redirects off the list. Real HTTP servers and the real MariaDB for the sql kind.
 */
import { startTestServer, type TestServer } from '../../connectors/sdk/testing';
import { OutboundHost } from '../../src/modules/outbound/outbound-host.entity';
import type { HostLookup } from '../../src/security/outbound-guard';
import { Role } from '../../src/security/principal';
import { dataOf, errorOf } from '../helpers/api';
import { keyHeaders } from '../helpers/auth';
import { startTestHub, type TestHub } from '../helpers/test-hub';

const ADD = 'mutation($input: OutboundHostInput!) { addOutboundHost(input: $input) { id pattern allowPrivate note createdBy } }';
const REMOVE = 'mutation($id: ID!) { removeOutboundHost(id: $id) }';
const REGISTER = 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }';
const RUN = 'mutation($id: ID!) { runConnector(id: $id, from: "2024-08-01", to: "2024-08-01", wait: true) { status errorClass errorMessage } }';
const MAPPING = { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'communeCode' }, period: { field: 'date' }, value: { field: 'visits' } };
// Connectors an administrator configured: entries granted to no department serve them.
const notAllowed = (department: string) => `is not on the outbound allowlist of ${department}; an administrator must add it (addOutboundHost, or CONNECTOR_ALLOWED_HOSTS)`;
const NOT_ALLOWED = notAllowed('SO_YT');

interface Run {
  status: string;
  errorClass: string | null;
  errorMessage: string | null;
}

describe('outbound allowlist', () => {
  let hub: TestHub;
  let feed: TestServer;
  let elsewhere: TestServer;
  let feedHost: string;
  let counter = 0;

  // Names under the configured wildcard resolve to loopback here, as a hostile or careless DNS record would.
  const lookup: HostLookup = async (hostname) => {
    if (hostname.endsWith('.so-yt.example.gov.vn')) return [{ address: '127.0.0.1', family: 4 }];
    throw Object.assign(new Error(`unknown test host ${hostname}`), { code: 'ENOTFOUND' });
  };

  const httpJson = (url: string) => ({
    name: `Feed ${++counter}`, kind: 'http-json', department: 'SO_YT', schedule: '0 0 1 1 *', config: { url, recordsPath: 'data' }, mapping: MAPPING,
  });
  const add = async (pattern: string, allowPrivate = false) =>
    (await dataOf<{ addOutboundHost: { id: string; pattern: string } }>(hub, ADD, { input: { pattern, allowPrivate, note: 'Sở Y tế data server' } })).addOutboundHost;
  const register = async (input: Record<string, unknown>) => (await dataOf<{ registerConnector: { id: string } }>(hub, REGISTER, { input })).registerConnector.id;
  const run = async (id: string) => (await dataOf<{ runConnector: Run }>(hub, RUN, { id })).runConnector;

  beforeAll(async () => {
    elsewhere = await startTestServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"data":[]}');
    });
    feed = await startTestServer((req, res) => {
      if (req.url?.startsWith('/redirect')) {
        res.writeHead(302, { location: `${elsewhere.url}/data` });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"data":[]}');
    });
    feedHost = new URL(feed.url).host;
    hub = await startTestHub({ environment: { CONNECTOR_ALLOWED_HOSTS: '*.so-yt.example.gov.vn' }, lookup });
  });
  afterAll(async () => {
    await hub?.close();
    await feed?.close();
    await elsewhere?.close();
  });

  it('is managed by administrators: patterns validated and stored in canonical form, duplicates refused', async () => {
    const added = await add('Data.SoYT.NgheAn.gov.vn:8443');
    expect(added.pattern).toBe('data.soyt.nghean.gov.vn:8443');
    expect((await errorOf(hub, ADD, { input: { pattern: 'https://x.example.gov.vn/api' } })).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.pattern' });
    const wildcardPrivate = await errorOf(hub, ADD, { input: { pattern: '*.nghean.gov.vn', allowPrivate: true } });
    expect(wildcardPrivate.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.allowPrivate' });
    expect(wildcardPrivate.message).toBe('input.allowPrivate: only an exact host with a port may reach loopback or private addresses (e.g. 10.0.5.20:8080)');
    expect((await errorOf(hub, ADD, { input: { pattern: 'DATA.soyt.nghean.gov.vn:8443' } })).extensions?.code).toBe('CONFLICT');
    const listed = await dataOf<{ outboundHosts: Array<{ pattern: string; allowPrivate: boolean; note: string; createdBy: string }> }>(hub, '{ outboundHosts { pattern allowPrivate note createdBy createdAt } }');
    expect(listed.outboundHosts).toEqual([{ pattern: 'data.soyt.nghean.gov.vn:8443', allowPrivate: false, note: 'Sở Y tế data server', createdBy: 'PILOTHUB_ADMIN_KEY', createdAt: expect.any(String) }]);
    expect(await dataOf(hub, REMOVE, { id: added.id })).toEqual({ removeOutboundHost: true });
    expect((await errorOf(hub, REMOVE, { id: added.id })).extensions?.code).toBe('NOT_FOUND');
  });

  it('is closed to every role but ADMIN', async () => {
    for (const role of [Role.DEPARTMENT_IT, Role.ANALYST, Role.VIEWER]) {
      const headers = await keyHeaders(hub, role, role === Role.DEPARTMENT_IT ? ['SO_YT'] : []);
      for (const source of ['{ outboundHosts { id } }', 'mutation { addOutboundHost(input: { pattern: "evil.example.com" }) { id } }', 'mutation { removeOutboundHost(id: "1") }']) {
        const result = await hub.graphql(source, undefined, headers);
        expect({ role, source, codes: result.errors?.map((error) => error.extensions?.code) }).toEqual({ role, source, codes: ['FORBIDDEN'] });
      }
    }
    expect(await hub.dataSource.getRepository(OutboundHost).countBy({ pattern: 'evil.example.com' })).toBe(0);
  });

  it('refuses to register a connector whose host is not allowed, naming the configuration field', async () => {
    const httpError = await errorOf(hub, REGISTER, { input: httpJson(`${feed.url}/data`) });
    expect(httpError.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.config.url' });
    expect(httpError.message).toBe(`input.config.url: host ${feedHost} ${NOT_ALLOWED}`);
    const csv = { ...httpJson(''), kind: 'csv', config: { source: { url: 'http://169.254.169.254/latest/meta-data/x.csv' } } };
    expect((await errorOf(hub, REGISTER, { input: csv })).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.config.source.url' });
    const dhis2 = { ...httpJson(''), kind: 'dhis2', department: 'NHCSXH', config: { baseUrl: 'http://2130706433:8080/dhis', dataSet: 'LOANS' } };
    const dhis2Error = await errorOf(hub, REGISTER, { input: dhis2 });
    expect(dhis2Error.message).toBe(`input.config.baseUrl: host 127.0.0.1:8080 ${notAllowed('NHCSXH')}`);
    const sql = { ...httpJson(''), kind: 'sql', config: { host: '10.0.5.20', database: 'mot_cua', user: 'ro', query: 'SELECT a FROM b WHERE d BETWEEN :from AND :to' } };
    expect((await errorOf(hub, REGISTER, { input: sql })).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.config.host' });
    // Names under CONNECTOR_ALLOWED_HOSTS are accepted.
    expect(await register(httpJson('https://data.so-yt.example.gov.vn/visits'))).toEqual(expect.any(String));
  });

  it('runs against an allowed host; once the host is removed, runs fail with OUTBOUND_BLOCKED and changes and tests are refused', async () => {
    const entry = await add(feedHost, true);
    const id = await register(httpJson(`${feed.url}/data`));
    expect(await run(id)).toEqual({ status: 'SUCCEEDED', errorClass: null, errorMessage: null });
    const reached = feed.requests.length;

    await dataOf(hub, REMOVE, { id: entry.id });
    expect(await run(id)).toEqual({ status: 'FAILED', errorClass: 'OUTBOUND_BLOCKED', errorMessage: `config.url: host ${feedHost} ${NOT_ALLOWED}` });
    expect(feed.requests.length).toBe(reached);
    const tested = await errorOf(hub, `mutation { testConnector(id: "${id}") { ok message } }`);
    expect(tested.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'config.url' });
    const renamed = await errorOf(hub, `mutation { updateConnector(id: "${id}", input: { name: "Renamed feed" }) { id } }`);
    expect(renamed.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.config.url' });
  });

  it('refuses loopback for an entry without allowPrivate, and names that resolve to loopback', async () => {
    const entry = await add(feedHost);
    const id = await register(httpJson(`${feed.url}/data`));
    const refused = await run(id);
    expect(refused).toMatchObject({ status: 'FAILED', errorClass: 'OUTBOUND_BLOCKED' });
    expect(refused.errorMessage).toContain('127.0.0.1 is a loopback address');
    await dataOf(hub, REMOVE, { id: entry.id });

    const port = new URL(feed.url).port;
    const named = await register(httpJson(`http://feeds.so-yt.example.gov.vn:${port}/data`));
    const rebound = await run(named);
    expect(rebound).toMatchObject({ status: 'FAILED', errorClass: 'OUTBOUND_BLOCKED' });
    expect(rebound.errorMessage).toBe(`feeds.so-yt.example.gov.vn:${port} refused: 127.0.0.1 is a loopback address; only an allowlist entry for an exact host and port added with allowPrivate may reach it`);
  });

  it('fails a run whose source redirects to a host that is not allowed', async () => {
    const entry = await add(feedHost, true);
    const id = await register(httpJson(`${feed.url}/redirect`));
    const redirected = await run(id);
    expect(redirected).toEqual({
      status: 'FAILED',
      errorClass: 'OUTBOUND_BLOCKED',
      errorMessage: `redirect from ${feed.url}/redirect to ${elsewhere.url}/data refused: host ${new URL(elsewhere.url).host} ${NOT_ALLOWED}`,
    });
    expect(elsewhere.requests).toHaveLength(0);
    await add(new URL(elsewhere.url).host, true);
    expect(await run(id)).toMatchObject({ status: 'SUCCEEDED' });
    expect(elsewhere.requests).toHaveLength(1);
    await dataOf(hub, REMOVE, { id: entry.id });
  });

  it('checks the database host of sql connectors before connecting', async () => {
    const config = { host: '127.0.0.1', port: 3306, database: 'test', user: 'root', query: 'SELECT 1 AS one FROM DUAL WHERE :from <= :to' };
    const plain = await add('127.0.0.1:3306');
    const id = await register({ ...httpJson(''), kind: 'sql', config });
    const refused = await dataOf<{ testConnector: { ok: boolean; message: string } }>(hub, `mutation { testConnector(id: "${id}") { ok message } }`);
    expect(refused.testConnector).toEqual({
      ok: false,
      message: '127.0.0.1:3306 refused: 127.0.0.1 is a loopback address; only an allowlist entry for an exact host and port added with allowPrivate may reach it',
    });
    await dataOf(hub, REMOVE, { id: plain.id });
    await add('127.0.0.1:3306', true);
    const reached = await dataOf<{ testConnector: { ok: boolean; message: string } }>(hub, `mutation { testConnector(id: "${id}") { ok message } }`);
    expect(reached.testConnector.ok).toBe(true);
    expect(reached.testConnector.message).toMatch(/^connected to (MariaDB|MySQL) .* at 127\.0\.0\.1:3306\/test as root/);
  });
});
