import { ConfigError, loadConfig } from '../../src/config';

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
    expect(loadConfig({}).rateLimit).toEqual({ perMinute: 600, burst: 100 });
    expect(loadConfig({ RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_BURST: '0' }).rateLimit).toEqual({ perMinute: 0, burst: 0 });
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
    [{ SHUTDOWN_DELAY_SECONDS: '-1' }, 'SHUTDOWN_DELAY_SECONDS'],
    [{ SHUTDOWN_DELAY_SECONDS: '301' }, 'SHUTDOWN_DELAY_SECONDS'],
    [{ SHUTDOWN_DELAY_SECONDS: 'soon' }, 'SHUTDOWN_DELAY_SECONDS'],
  ])('rejects %j naming %s', (environment, name) => {
    expect(() => loadConfig(environment)).toThrow(ConfigError);
    expect(() => loadConfig(environment)).toThrow(name);
  });
});
