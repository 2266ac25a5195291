/**
 * The connect-time guard against real HTTP servers on 127.0.0.1: literal IP spellings, names that resolve to
 * loopback, DNS answers that change between connections, redirects, and the client's size and time limits.
 */
import { ConnectorError } from '../../connectors/sdk/contract';
import { createHttpClient } from '../../connectors/sdk/http-client';
import { startTestServer, type TestServer } from '../../connectors/sdk/testing';
import { OutboundSession, systemLookup, type HostLookup } from '../../src/security/outbound-guard';
import { OutboundPolicy, parseHostPattern } from '../../src/security/outbound-policy';

function policyOf(entries: Array<[pattern: string, allowPrivate?: boolean]>, allowPrivateNetworks = false): OutboundPolicy {
  return new OutboundPolicy(
    entries.map(([pattern, allowPrivate = false]) => ({ pattern: parseHostPattern(pattern), allowPrivate })),
    allowPrivateNetworks,
  );
}

/** GET through a fresh session (a new connection each time), returning the body or the ConnectorError. */
async function get(url: string, policy: OutboundPolicy, lookup: HostLookup = systemLookup, options: { timeoutMs?: number; maxBytes?: number } = {}) {
  const session = new OutboundSession(policy, lookup);
  try {
    const client = createHttpClient({ dispatcher: session.dispatcher, retries: 0, timeoutMs: options.timeoutMs ?? 2_000, maxBytes: options.maxBytes });
    const response = await client.request({ url });
    return { ok: true as const, body: response.text() };
  } catch (error) {
    if (!(error instanceof ConnectorError)) throw error;
    return { ok: false as const, errorClass: error.errorClass, message: error.message };
  } finally {
    await session.close();
  }
}

describe('outbound guard at connect time', () => {
  let server: TestServer;
  let other: TestServer;
  let port: number;

  beforeAll(async () => {
    server = await startTestServer((req, res) => {
      const target = new URL(req.url ?? '/', 'http://x').searchParams.get('to');
      if (target) {
        res.writeHead(302, { location: target });
        res.end();
      } else if (req.url?.startsWith('/huge')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('x'.repeat(50_000));
      } else if (req.url?.startsWith('/slow')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('a');
        setTimeout(() => res.end('b'), 3_000).unref();
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('hello');
      }
    });
    other = await startTestServer((_req, res) => {
      res.end('other');
    });
    port = Number(new URL(server.url).port);
  });
  afterAll(async () => {
    await server.close();
    await other.close();
  });
  beforeEach(() => {
    server.requests.length = 0;
    other.requests.length = 0;
  });

  it('reaches an allowed loopback server only through its exact host:port entry with allowPrivate', async () => {
    expect(await get(`${server.url}/`, policyOf([[`127.0.0.1:${port}`, true]]))).toEqual({ ok: true, body: 'hello' });
    expect(server.requests).toHaveLength(1);
  });

  it('refuses a host that is not on the allowlist before connecting', async () => {
    const result = await get(`${server.url}/`, policyOf([['feeds.example.gov.vn']]));
    expect(result).toEqual({ ok: false, errorClass: 'OUTBOUND_BLOCKED', message: `host 127.0.0.1:${port} is not on the outbound allowlist; an administrator must add it (addOutboundHost, or CONNECTOR_ALLOWED_HOSTS)` });
    expect(server.requests).toHaveLength(0);
  });

  it.each(['127.0.0.1', '2130706433', '0177.0.0.1', '0x7f000001', '0x7f.1', '127.1'])(
    'refuses loopback written as http://%s even when that host is allowlisted (without allowPrivate)',
    async (spelling) => {
      const result = await get(`http://${spelling}:${port}/`, policyOf([['127.0.0.1']]));
      expect(result).toEqual({
        ok: false,
        errorClass: 'OUTBOUND_BLOCKED',
        message: `127.0.0.1:${port} refused: 127.0.0.1 is a loopback address; only an allowlist entry for an exact host and port added with allowPrivate may reach it`,
      });
      expect(server.requests).toHaveLength(0);
    },
  );

  it('refuses those spellings as not allowlisted when only another host is', async () => {
    for (const spelling of ['2130706433', '0177.0.0.1', '0x7f000001', '127.1']) {
      const result = await get(`http://${spelling}:${port}/`, policyOf([['feeds.example.gov.vn']]));
      expect(result).toMatchObject({ ok: false, errorClass: 'OUTBOUND_BLOCKED', message: expect.stringContaining(`host 127.0.0.1:${port} is not on the outbound allowlist`) });
    }
    expect(server.requests).toHaveLength(0);
  });

  it('refuses [::1], [::ffff:127.0.0.1] and the metadata address 169.254.169.254', async () => {
    expect(await get(`http://[::1]:${port}/`, policyOf([['[::1]']]))).toMatchObject({ errorClass: 'OUTBOUND_BLOCKED', message: expect.stringContaining('::1 is a loopback address') });
    expect(await get(`http://[::ffff:127.0.0.1]:${port}/`, policyOf([['[::ffff:127.0.0.1]']]))).toMatchObject({
      errorClass: 'OUTBOUND_BLOCKED',
      message: expect.stringContaining('127.0.0.1 is a loopback address'),
    });
    // Even an entry with allowPrivate never reaches the metadata service.
    expect(await get('http://169.254.169.254:80/latest/meta-data/', policyOf([['169.254.169.254:80', true]]))).toMatchObject({
      errorClass: 'OUTBOUND_BLOCKED',
      message: '169.254.169.254:80 refused: 169.254.169.254 is a link-local address (this includes the cloud metadata service 169.254.169.254); connectors never reach it',
    });
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a name that resolves to loopback (localhost) unless its exact entry allows it', async () => {
    expect(await get(`http://localhost:${port}/`, policyOf([['localhost']]))).toMatchObject({ errorClass: 'OUTBOUND_BLOCKED', message: expect.stringContaining('is a loopback address') });
    expect(server.requests).toHaveLength(0);
  });

  it('connects to the address it checked, and checks each connection again (DNS rebinding)', async () => {
    // The system resolver does not know this name: a success proves the connection used the checked answer.
    const answers = [[{ address: '127.0.0.1', family: 4 }], [{ address: '169.254.169.254', family: 4 }]];
    const asked: string[] = [];
    const lookup: HostLookup = async (hostname) => {
      asked.push(hostname);
      return answers[Math.min(asked.length - 1, answers.length - 1)];
    };
    const policy = policyOf([[`feeds.rebind.test:${port}`, true]]);
    expect(await get(`http://feeds.rebind.test:${port}/`, policy, lookup)).toEqual({ ok: true, body: 'hello' });
    expect(asked).toEqual(['feeds.rebind.test']);
    expect(server.requests[0].headers.host).toBe(`feeds.rebind.test:${port}`);
    // The next connection gets the metadata address: refused, whatever the first answer was.
    expect(await get(`http://feeds.rebind.test:${port}/`, policy, lookup)).toMatchObject({
      errorClass: 'OUTBOUND_BLOCKED',
      message: expect.stringContaining('169.254.169.254 is a link-local address'),
    });
    expect(asked).toHaveLength(2);
    expect(server.requests).toHaveLength(1);
  });

  it('refuses a name one of whose answers is forbidden, even if another is public', async () => {
    const lookup: HostLookup = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ];
    expect(await get(`http://data.example.gov.vn:${port}/`, policyOf([['*.example.gov.vn']]), lookup)).toMatchObject({
      errorClass: 'OUTBOUND_BLOCKED',
      message: expect.stringContaining('127.0.0.1 is a loopback address'),
    });
  });

  it('refuses redirects that leave the allowlist or lead to a forbidden address, and follows allowed ones', async () => {
    const otherPort = Number(new URL(other.url).port);
    const policy = policyOf([[`127.0.0.1:${port}`, true], ['169.254.169.254']]);
    const away = await get(`${server.url}/start?to=${encodeURIComponent('http://evil.example.com/steal')}`, policy);
    expect(away).toEqual({
      ok: false,
      errorClass: 'OUTBOUND_BLOCKED',
      message: `redirect from ${server.url}/start to http://evil.example.com/steal refused: host evil.example.com:80 is not on the outbound allowlist; an administrator must add it (addOutboundHost, or CONNECTOR_ALLOWED_HOSTS)`,
    });
    const loopback = await get(`${server.url}/start?to=${encodeURIComponent(`${other.url}/`)}`, policy);
    expect(loopback).toMatchObject({ errorClass: 'OUTBOUND_BLOCKED', message: expect.stringContaining(`refused: host 127.0.0.1:${otherPort} is not on the outbound allowlist`) });
    const metadata = await get(`${server.url}/start?to=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`, policy);
    expect(metadata).toMatchObject({ errorClass: 'OUTBOUND_BLOCKED', message: expect.stringContaining('is a link-local address') });
    expect(other.requests).toHaveLength(0);

    const allowed = policyOf([[`127.0.0.1:${port}`, true], [`127.0.0.1:${otherPort}`, true]]);
    expect(await get(`${server.url}/start?to=${encodeURIComponent(`${other.url}/`)}`, allowed)).toEqual({ ok: true, body: 'other' });
    expect(other.requests).toHaveLength(1);
  });

  it('keeps the response size and time limits', async () => {
    const policy = policyOf([[`127.0.0.1:${port}`, true]]);
    expect(await get(`${server.url}/huge`, policy, systemLookup, { maxBytes: 10_000 })).toMatchObject({ errorClass: 'BAD_PAYLOAD', message: expect.stringContaining('response larger than 10000 bytes') });
    expect(await get(`${server.url}/slow`, policy, systemLookup, { timeoutMs: 500 })).toMatchObject({ errorClass: 'TIMEOUT' });
  });
});
