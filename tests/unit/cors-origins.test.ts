import { ConfigError, loadConfig } from '../../src/config';
import { originAllowed, parseCorsOrigins } from '../../src/http/cors';

describe('CORS_ORIGINS', () => {
  it('is empty by default: no origin is allowed', () => {
    const rules = loadConfig({}).http.corsOrigins;
    expect(rules).toEqual([]);
    expect(originAllowed(rules, 'http://localhost:5173')).toBe(false);
  });

  it('allows exact origins as browsers send them (default ports, case of the host)', () => {
    const rules = parseCorsOrigins('https://dashboard.nghean.gov.vn, http://localhost:5173/');
    expect(originAllowed(rules, 'https://dashboard.nghean.gov.vn')).toBe(true);
    expect(originAllowed(rules, 'http://localhost:5173')).toBe(true);
    expect(parseCorsOrigins('https://Dashboard.NGHEAN.gov.vn:443')).toEqual([{ kind: 'exact', origin: 'https://dashboard.nghean.gov.vn' }]);
    for (const other of ['http://dashboard.nghean.gov.vn', 'https://dashboard.nghean.gov.vn:8443', 'https://evil.example', 'http://localhost:5174', 'null', '', 'https://dashboard.nghean.gov.vn/path']) {
      expect(originAllowed(rules, other)).toBe(false);
    }
    expect(originAllowed(rules, undefined)).toBe(false);
  });

  it('allows every subdomain of a pattern, with its scheme and port only', () => {
    const rules = parseCorsOrigins('https://*.nghean.gov.vn');
    expect(originAllowed(rules, 'https://dashboard.nghean.gov.vn')).toBe(true);
    expect(originAllowed(rules, 'https://a.b.nghean.gov.vn')).toBe(true);
    for (const other of ['https://nghean.gov.vn', 'http://dashboard.nghean.gov.vn', 'https://dashboard.nghean.gov.vn:8443', 'https://nghean.gov.vn.evil.example', 'https://evilnghean.gov.vn', 'https://x.nghean.gov.vn.', 'null']) {
      expect(originAllowed(rules, other)).toBe(false);
    }
    const withPort = parseCorsOrigins('http://*.lan.example:8080');
    expect(originAllowed(withPort, 'http://ops.lan.example:8080')).toBe(true);
    expect(originAllowed(withPort, 'http://ops.lan.example')).toBe(false);
  });

  it('allows every origin with "*" alone', () => {
    const rules = parseCorsOrigins('*');
    expect(originAllowed(rules, 'https://anything.example')).toBe(true);
    expect(originAllowed(rules, 'null')).toBe(true);
  });

  it.each([
    ['dashboard.nghean.gov.vn', 'is not an origin'],
    ['ftp://files.example', 'is not an origin'],
    ['https://dashboard.nghean.gov.vn/app', 'is not an origin'],
    ['https://user@dashboard.example', 'is not an origin'],
    ['https://dash.*.gov.vn', 'wildcard is allowed only as the first label'],
    ['https://*.vn', 'at least two labels'],
    ['*, https://a.example', 'give it alone'],
  ])('refuses %s naming CORS_ORIGINS', (value, reason) => {
    expect(() => loadConfig({ CORS_ORIGINS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ CORS_ORIGINS: value })).toThrow(/CORS_ORIGINS/);
    expect(() => parseCorsOrigins(value)).toThrow(reason);
  });
});
