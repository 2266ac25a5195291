import { loadConfig } from '../../src/config';
import { addressProblem, OutboundPolicy, parseHostPattern, type AllowEntry } from '../../src/security/outbound-policy';

const entry = (pattern: string, allowPrivate = false): AllowEntry => ({ pattern: parseHostPattern(pattern), allowPrivate });

describe('allowlist patterns', () => {
  it('writes patterns in canonical form: lower case, IP spellings and IPv6 normalised', () => {
    expect(parseHostPattern('Data.SoYT.NgheAn.gov.vn').pattern).toBe('data.soyt.nghean.gov.vn');
    expect(parseHostPattern('*.nghean.gov.vn:8443')).toMatchObject({ pattern: '*.nghean.gov.vn:8443', host: 'nghean.gov.vn', wildcard: true, port: 8443 });
    expect(parseHostPattern('0177.0.0.1:80').pattern).toBe('127.0.0.1:80');
    expect(parseHostPattern('2130706433').pattern).toBe('127.0.0.1');
    expect(parseHostPattern('[::1]:8080').pattern).toBe('[::1]:8080');
    expect(parseHostPattern('fd00::5').pattern).toBe('[fd00::5]');
  });

  it('refuses URLs, paths, stray wildcards and bad ports', () => {
    expect(() => parseHostPattern('https://data.example.gov.vn/api')).toThrow('no scheme or path');
    expect(() => parseHostPattern('a.*.example.gov.vn')).toThrow('a wildcard may only be the first label');
    expect(() => parseHostPattern('*.vn')).toThrow('at least two labels');
    expect(() => parseHostPattern('*.10.0.0.1')).toThrow('at least two labels');
    expect(() => parseHostPattern('example.gov.vn:70000')).toThrow('out of range');
    expect(() => parseHostPattern('')).toThrow();
  });

  it('refuses names that are not DNS host names, and accepts international names in punycode', () => {
    for (const text of ['_', 'bad_host.example.gov.vn', '-data.example.gov.vn', 'data-.example.gov.vn', `${'a'.repeat(64)}.vn`, 'a..b']) {
      expect(() => parseHostPattern(text)).toThrow('is not a valid host name or IP address');
    }
    expect(parseHostPattern('sởytế.vn').pattern).toBe('xn--syt-9jz5g.vn');
    expect(parseHostPattern('localhost:8080').pattern).toBe('localhost:8080');
  });

  it('matches exact hosts, names below a wildcard (not the domain itself) and ports', () => {
    const policy = new OutboundPolicy([entry('*.nghean.gov.vn'), entry('api.example.com:8443'), entry('127.0.0.1:4100', true)], false);
    expect(policy.match('data.soyt.nghean.gov.vn', 443)?.pattern.pattern).toBe('*.nghean.gov.vn');
    expect(policy.match('DATA.nghean.gov.vn', 80)).not.toBeNull();
    expect(policy.match('nghean.gov.vn', 443)).toBeNull();
    expect(policy.match('evilnghean.gov.vn', 443)).toBeNull();
    expect(policy.match('api.example.com', 8443)).not.toBeNull();
    expect(policy.match('api.example.com', 443)).toBeNull();
    // Every spelling of 127.0.0.1 is the same host.
    for (const spelling of ['127.0.0.1', '2130706433', '0177.0.0.1', '0x7f000001', '0x7f.1', '127.1']) {
      expect(policy.match(spelling, 4100)?.allowPrivate).toBe(true);
    }
    expect(() => policy.requireAllowed('metadata.google.internal', 80)).toThrow('host metadata.google.internal:80 is not on the outbound allowlist');
  });

  it('reads CONNECTOR_ALLOWED_HOSTS and CONNECTOR_ALLOW_PRIVATE_NETWORKS', () => {
    const config = loadConfig({ CONNECTOR_ALLOWED_HOSTS: '*.nghean.gov.vn, api.example.com:8443', CONNECTOR_ALLOW_PRIVATE_NETWORKS: 'true' });
    expect(config.outbound.allowedHosts.map((pattern) => pattern.pattern)).toEqual(['*.nghean.gov.vn', 'api.example.com:8443']);
    expect(config.outbound.allowPrivateNetworks).toBe(true);
    expect(loadConfig({}).outbound.allowPrivateNetworks).toBe(false);
    expect(() => loadConfig({ CONNECTOR_ALLOWED_HOSTS: 'http://x.example/' })).toThrow('CONNECTOR_ALLOWED_HOSTS: "http://x.example/" is not a host pattern');
  });
});

describe('addresses connectors may reach', () => {
  const plain = entry('feeds.example.gov.vn');
  const exact = entry('feeds.example.gov.vn:8080', true);

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.9.9.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['10.1.2.3', 'private-network'],
    ['172.16.0.1', 'private-network'],
    ['192.168.1.1', 'private-network'],
    ['100.64.0.1', 'private-network'],
    ['fd00::1', 'private-network'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['64:ff9b::7f00:1', 'rfc6052'],
  ])('refuses %s (%s) for a plain entry', (address, kind) => {
    expect(addressProblem(address, plain, false)).toContain(kind);
  });

  it('allows public unicast addresses', () => {
    expect(addressProblem('93.184.216.34', plain, false)).toBeNull();
    expect(addressProblem('2606:4700::1', plain, false)).toBeNull();
  });

  it('allows private ranges with CONNECTOR_ALLOW_PRIVATE_NETWORKS, but never loopback or link-local', () => {
    expect(addressProblem('10.1.2.3', plain, true)).toBeNull();
    expect(addressProblem('fd00::1', plain, true)).toBeNull();
    expect(addressProblem('127.0.0.1', plain, true)).toContain('loopback');
    expect(addressProblem('169.254.169.254', plain, true)).toContain('link-local');
  });

  it('lets an exact host:port entry with allowPrivate reach loopback and private addresses, never the metadata service', () => {
    expect(addressProblem('127.0.0.1', exact, false)).toBeNull();
    expect(addressProblem('::ffff:127.0.0.1', exact, false)).toBeNull();
    expect(addressProblem('192.168.1.1', exact, false)).toBeNull();
    expect(addressProblem('169.254.169.254', exact, false)).toContain('link-local');
    expect(addressProblem('0.0.0.0', exact, false)).toContain('unspecified');
  });
});
