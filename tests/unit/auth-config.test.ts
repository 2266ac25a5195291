import { ConfigError, loadConfig } from '../../src/config';

describe('authentication settings', () => {
  const SECRET = 'x'.repeat(32);

  it('defaults: no bootstrap key, no anonymous access, /metrics behind credentials, no JWT', () => {
    expect(loadConfig({}).auth).toEqual({ adminKey: null, anonymousRead: false, metricsPublic: false, metricsScrapeKey: null, jwt: null });
  });

  it('reads the bootstrap key, the switches and a complete JWT setting', () => {
    const config = loadConfig({
      PILOTHUB_ADMIN_KEY: 'k'.repeat(40),
      ANONYMOUS_READ: 'true',
      METRICS_PUBLIC: 'true',
      METRICS_SCRAPE_KEY: 's'.repeat(32),
      JWT_ISSUER: 'https://sso.example/realms/hub',
      JWT_AUDIENCE: 'pilothub',
      JWT_JWKS_URL: 'https://sso.example/realms/hub/certs',
    });
    expect(config.auth).toEqual({
      adminKey: 'k'.repeat(40),
      anonymousRead: true,
      metricsPublic: true,
      metricsScrapeKey: 's'.repeat(32),
      jwt: {
        issuer: 'https://sso.example/realms/hub',
        audience: 'pilothub',
        jwksUrl: 'https://sso.example/realms/hub/certs',
        secret: null,
        roleClaim: 'pilothub_role',
        departmentsClaim: 'pilothub_departments',
        clockToleranceSeconds: 30,
        maxLifetimeSeconds: 86_400,
      },
    });
  });

  it.each([
    [{ PILOTHUB_ADMIN_KEY: 'short' }, 'PILOTHUB_ADMIN_KEY'],
    [{ ANONYMOUS_READ: 'yes' }, 'ANONYMOUS_READ'],
    [{ METRICS_SCRAPE_KEY: 'too short' }, 'METRICS_SCRAPE_KEY'],
    [{ JWT_ISSUER: 'https://sso.example', JWT_SECRET: SECRET }, 'JWT_AUDIENCE'],
    [{ JWT_AUDIENCE: 'pilothub', JWT_SECRET: SECRET }, 'JWT_ISSUER'],
    [{ JWT_ISSUER: 'https://sso.example', JWT_AUDIENCE: 'pilothub' }, 'JWT_JWKS_URL or JWT_SECRET'],
    [{ JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', JWT_SECRET: SECRET, JWT_JWKS_URL: 'https://sso.example/certs' }, 'JWT_JWKS_URL or JWT_SECRET'],
    [{ JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', JWT_SECRET: 'too-short' }, 'JWT_SECRET'],
    [{ JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', JWT_JWKS_URL: 'not a url' }, 'JWT_JWKS_URL'],
    [{ JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', JWT_SECRET: SECRET, JWT_MAX_LIFETIME_SECONDS: '0' }, 'JWT_MAX_LIFETIME_SECONDS'],
    [{ JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', JWT_SECRET: SECRET, JWT_MAX_LIFETIME_SECONDS: '1e400' }, 'JWT_MAX_LIFETIME_SECONDS'],
    [{ JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', JWT_SECRET: SECRET, JWT_MAX_LIFETIME_SECONDS: '31536000' }, 'JWT_MAX_LIFETIME_SECONDS'],
  ])('refuses %j naming %s', (environment, name) => {
    expect(() => loadConfig(environment)).toThrow(ConfigError);
    expect(() => loadConfig(environment)).toThrow(name);
  });
});
