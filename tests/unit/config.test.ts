import { ConfigError, loadConfig } from '../../src/config';
import { dataSourceOptions } from '../../src/database/data-source';

const KEYS = `k1:${Buffer.alloc(32, 1).toString('base64')}`;

describe('loadConfig', () => {
  it('defaults to an embedded SQLite file under ./data and port 4000', () => {
    const config = loadConfig({});
    expect(config.database.kind).toBe('sqlite');
    expect(config.database.location.endsWith('/data/pilothub.sqlite')).toBe(true);
    expect(config.port).toBe(4000);
    expect(config.maxPageSize).toBe(500);
    expect(config.timeZone).toBe('Asia/Ho_Chi_Minh');
    expect(config.seedOnStart).toBe('auto');
  });

  it('picks the dialect from the URL scheme', () => {
    expect(loadConfig({ DATABASE_URL: 'mariadb://root@127.0.0.1:3306/hub' }).database.kind).toBe('mariadb');
    expect(loadConfig({ DATABASE_URL: 'mysql://hub:pw@db:3306/hub' }).database.kind).toBe('mysql');
  });

  it('limits each caller to 600 requests a minute and 100 a second unless told otherwise; 0 turns a limit off', () => {
    const defaults = { authFailures: 20, authWindowSeconds: 60, store: 'memory', redisUrl: null };
    expect(loadConfig({}).rateLimit).toEqual({ perMinute: 600, burst: 100, ...defaults });
    expect(loadConfig({ RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_BURST: '0' }).rateLimit).toEqual({ perMinute: 0, burst: 0, ...defaults });
  });

  it('lets department staff schedule a connector at most every 5 minutes unless MIN_SCHEDULE_MINUTES says otherwise', () => {
    expect(loadConfig({}).connectors.minScheduleIntervalMs).toBe(5 * 60_000);
    expect(loadConfig({ MIN_SCHEDULE_MINUTES: '15' }).connectors.minScheduleIntervalMs).toBe(15 * 60_000);
  });

  it('keeps serving for 5 s after SIGTERM unless SHUTDOWN_DELAY_SECONDS says otherwise (0 closes at once)', () => {
    expect(loadConfig({}).shutdownDelayMs).toBe(5_000);
    expect(loadConfig({ SHUTDOWN_DELAY_SECONDS: '0.25' }).shutdownDelayMs).toBe(250);
    expect(loadConfig({ SHUTDOWN_DELAY_SECONDS: '0' }).shutdownDelayMs).toBe(0);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).database.kind).toBe('sqlite');
  });

  it.each([
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '12ab' }, 'PORT'],
    [{ DATABASE_URL: 'sqlite://file.db' }, 'DATABASE_URL'],
    [{ MAX_PAGE_SIZE: '0' }, 'MAX_PAGE_SIZE'],
    [{ DATABASE_POOL_SIZE: '-1' }, 'DATABASE_POOL_SIZE'],
    [{ TIME_ZONE: 'Nowhere/Town' }, 'TIME_ZONE'],
    [{ SEED_ON_START: 'yes' }, 'SEED_ON_START'],
    [{ DEFAULT_PAGE_SIZE: '600', MAX_PAGE_SIZE: '500' }, 'DEFAULT_PAGE_SIZE'],
    [{ RATE_LIMIT_PER_MINUTE: '-1' }, 'RATE_LIMIT_PER_MINUTE'],
    [{ RATE_LIMIT_PER_MINUTE: '1.5' }, 'RATE_LIMIT_PER_MINUTE'],
    [{ RATE_LIMIT_BURST: 'lots' }, 'RATE_LIMIT_BURST'],
    [{ RATE_LIMIT_AUTH_FAILURES: '-3' }, 'RATE_LIMIT_AUTH_FAILURES'],
    [{ RATE_LIMIT_AUTH_WINDOW_SECONDS: '0' }, 'RATE_LIMIT_AUTH_WINDOW_SECONDS'],
    [{ RATE_LIMIT_STORE: 'postgres' }, 'RATE_LIMIT_STORE'],
    [{ RATE_LIMIT_STORE: 'redis' }, 'RATE_LIMIT_STORE=redis needs REDIS_URL'],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL'],
    [{ TRUST_PROXY: 'yes' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '0' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '10.0.0.1, proxy.example' }, 'TRUST_PROXY'],
    [{ HTTP_HEADERS_TIMEOUT_SECONDS: '0' }, 'HTTP_HEADERS_TIMEOUT_SECONDS'],
    [{ HTTP_HEADERS_TIMEOUT_SECONDS: '30', HTTP_REQUEST_TIMEOUT_SECONDS: '20' }, 'HTTP_HEADERS_TIMEOUT_SECONDS must not exceed HTTP_REQUEST_TIMEOUT_SECONDS'],
    [{ HTTP_MAX_CONNECTIONS_PER_ADDRESS: 'many' }, 'HTTP_MAX_CONNECTIONS_PER_ADDRESS'],
    [{ HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: '0' }, 'HTTP_KEEP_ALIVE_TIMEOUT_SECONDS'],
    [{ MIN_SCHEDULE_MINUTES: '0' }, 'MIN_SCHEDULE_MINUTES'],
    [{ MIN_SCHEDULE_MINUTES: '2.5' }, 'MIN_SCHEDULE_MINUTES'],
    [{ MIN_SCHEDULE_MINUTES: '1441' }, 'MIN_SCHEDULE_MINUTES'],
    [{ MIN_SCHEDULE_MINUTES: 'often' }, 'MIN_SCHEDULE_MINUTES'],
    [{ SHUTDOWN_DELAY_SECONDS: '-1' }, 'SHUTDOWN_DELAY_SECONDS'],
    [{ SHUTDOWN_DELAY_SECONDS: '301' }, 'SHUTDOWN_DELAY_SECONDS'],
    [{ SHUTDOWN_DELAY_SECONDS: 'soon' }, 'SHUTDOWN_DELAY_SECONDS'],
    [{ LIVE_UPDATES_FEED: 'kafka' }, 'LIVE_UPDATES_FEED'],
    [{ LIVE_UPDATES_FEED: 'redis' }, 'LIVE_UPDATES_FEED=redis needs REDIS_URL'],
    [{ LIVE_UPDATES_POLL_MS: '10' }, 'LIVE_UPDATES_POLL_MS'],
    [{ LIVE_UPDATES_POLL_MS: '2.5' }, 'LIVE_UPDATES_POLL_MS'],
    [{ LIVE_UPDATES_RETENTION_SECONDS: '5' }, 'LIVE_UPDATES_RETENTION_SECONDS'],
    [{ LIVE_UPDATES_AUTH_RECHECK_SECONDS: '0' }, 'LIVE_UPDATES_AUTH_RECHECK_SECONDS'],
    [{ LIVE_UPDATES_MAX_SUBSCRIPTIONS: '-1' }, 'LIVE_UPDATES_MAX_SUBSCRIPTIONS'],
    [{ LIVE_UPDATES_MAX_SUBSCRIPTIONS: 'many' }, 'LIVE_UPDATES_MAX_SUBSCRIPTIONS'],
  ])('rejects %j naming %s', (environment, name) => {
    expect(() => loadConfig(environment)).toThrow(ConfigError);
    expect(() => loadConfig(environment)).toThrow(name);
  });

  it('reads TRUST_PROXY as express reads trust proxy: false, true, a hop count, or addresses and ranges', () => {
    expect(loadConfig({}).http.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).http.trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).http.trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,2001:db8::1' }).http.trustProxy).toEqual(['loopback', '10.0.0.0/8', '2001:db8::1']);
  });

  it('keeps rate-limit counters in the database with a server database, in Redis with REDIS_URL, else in memory', () => {
    expect(loadConfig({}).rateLimit.store).toBe('memory');
    expect(loadConfig({ DATABASE_URL: 'mariadb://root@127.0.0.1:3306/hub' }).rateLimit.store).toBe('database');
    expect(loadConfig({ DATABASE_URL: 'mariadb://root@127.0.0.1:3306/hub', REDIS_URL: 'redis://127.0.0.1:6379' }).rateLimit).toMatchObject({ store: 'redis', redisUrl: 'redis://127.0.0.1:6379' });
    expect(loadConfig({ RATE_LIMIT_STORE: 'database' }).rateLimit.store).toBe('database');
    expect(loadConfig({}).http).toEqual({ trustProxy: false, corsOrigins: [], publicBasePath: '', headersTimeoutMs: 10_000, requestTimeoutMs: 120_000, keepAliveTimeoutMs: 65_000, maxConnectionsPerAddress: 256 });
    expect(loadConfig({ HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: '75' }).http.keepAliveTimeoutMs).toBe(75_000);
  });

  it('reads PUBLIC_BASE_PATH as a prefix without trailing slash, naming what it refuses', () => {
    expect(loadConfig({ PUBLIC_BASE_PATH: '/pilothub/' }).http.publicBasePath).toBe('/pilothub');
    expect(loadConfig({ PUBLIC_BASE_PATH: '/so/hub' }).http.publicBasePath).toBe('/so/hub');
    expect(loadConfig({ PUBLIC_BASE_PATH: '/' }).http.publicBasePath).toBe('');
    for (const wrong of ['pilothub', '/a b', '/x/../y', 'https://host/x', '/a?b']) {
      expect(() => loadConfig({ PUBLIC_BASE_PATH: wrong })).toThrow(/PUBLIC_BASE_PATH/);
    }
  });

  it('tells live updates through the database feed, or Redis pub/sub with REDIS_URL', () => {
    expect(loadConfig({}).live).toEqual({ feed: 'database', redisUrl: null, pollMs: 250, retentionMs: 300_000, authRecheckMs: 30_000, maxSubscriptions: 25 });
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).live).toMatchObject({ feed: 'redis', redisUrl: 'redis://127.0.0.1:6379' });
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', LIVE_UPDATES_FEED: 'database' }).live.feed).toBe('database');
    expect(loadConfig({ LIVE_UPDATES_POLL_MS: '100', LIVE_UPDATES_AUTH_RECHECK_SECONDS: '0.5' }).live).toMatchObject({ pollMs: 100, authRecheckMs: 500 });
  });

  it('accepts NODE_ENV development, test and production only, naming the value it refuses', () => {
    expect(loadConfig({}).production).toBe(false);
    expect(loadConfig({ NODE_ENV: 'test' }).production).toBe(false);
    expect(loadConfig({ NODE_ENV: 'development' }).log.pretty).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production', SECRETS_KEYS: KEYS })).toMatchObject({ production: true, log: { pretty: false } });
    for (const value of ['prod', 'Production', 'staging', ' production']) {
      expect(() => loadConfig({ NODE_ENV: value, SECRETS_KEYS: KEYS })).toThrow(new ConfigError(`invalid configuration: NODE_ENV: must be development, test or production, not ${JSON.stringify(value)}`));
    }
  });

  it('refuses production without SECRETS_KEYS: a production hub never generates a key file', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/^invalid configuration: SECRETS_KEYS is required with NODE_ENV=production .*openssl rand -base64 32/);
    expect(loadConfig({ NODE_ENV: 'production', SECRETS_KEYS: KEYS }).secrets.keys.map((key) => key.id)).toEqual(['k1']);
  });

  it.each([
    ['mariadb://hub:pa/ss@db.example:3306/pilothub', /^invalid configuration: DATABASE_URL: is not a valid URL; URL-encode special characters of the user name and password \(\/ as %2F, @ as %40/],
    ['mariadb://hub:pa#ss@db.example:3306/pilothub', /^invalid configuration: DATABASE_URL: .*URL-encode special characters/],
    ['mariadb://hub:pa%zzss@db.example:3306/pilothub', /^invalid configuration: DATABASE_URL: has a % that does not start an escape \(%XX\); URL-encode/],
    ['mariadb://hub:secret@db.example:3306', /^invalid configuration: DATABASE_URL: must end with the database name, e.g. mariadb:\/\/hub:password@db.example:3306\/pilothub$/],
    ['mariadb://hub:secret@db.example:3306/', /^invalid configuration: DATABASE_URL: must end with the database name/],
  ])('refuses DATABASE_URL %s naming the setting, suggesting URL-encoding, without echoing the password', (url, message) => {
    expect(() => loadConfig({ DATABASE_URL: url })).toThrow(message);
    expect(() => loadConfig({ DATABASE_URL: url })).not.toThrow(/pa\/ss|pa#ss|secret/);
  });

  it('connects with the decoded credentials of a URL-encoded DATABASE_URL (and a plain "@" in the password)', () => {
    const encoded = loadConfig({ DATABASE_URL: 'mariadb://hub%40x:p%40ss%2Fw%3Ard%23@db.example:3307/pilot%2Dhub' });
    expect(dataSourceOptions(encoded.database)).toMatchObject({ type: 'mariadb', host: 'db.example', port: 3307, username: 'hub@x', password: 'p@ss/w:rd#', database: 'pilot-hub' });
    const plainAt = loadConfig({ DATABASE_URL: 'mysql://hub:p@ss@[::1]/pilothub' });
    expect(dataSourceOptions(plainAt.database)).toMatchObject({ type: 'mysql', host: '::1', port: 3306, username: 'hub', password: 'p@ss', database: 'pilothub' });
  });
});
