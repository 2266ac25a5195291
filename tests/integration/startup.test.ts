import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { databaseEnvironment, startHubProcess as startProcess, waitForUrl } from '../helpers/hub-process';
import { openTestDatabase, testDatabaseConfig } from '../helpers/test-database';
import { TEST_ADMIN_HEADERS } from '../helpers/test-hub';

async function programCounts(url: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...TEST_ADMIN_HEADERS, 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ program(code: "DA06") { pilotModelCounts { total completed inProgress notStarted } } }' }),
  });
  return ((await response.json()) as { data: { program: { pilotModelCounts: unknown } } }).data.program.pilotModelCounts;
}

describe('start-up', () => {
  let folder: string;
  beforeAll(async () => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-start-'));
    // Server databases start empty: the process must migrate them itself.
    if (testDatabaseConfig().kind !== 'sqlite') {
      const database = await openTestDatabase({ seed: false });
      await database.dataSource.dropDatabase();
      await database.dataSource.destroy();
    }
  });
  afterAll(() => {
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('migrates, seeds, serves the catalogue, and exits 0 on SIGTERM; a restart does not seed again', async () => {
    const environment: Record<string, string> = { ...databaseEnvironment(path.join(folder, 'hub.sqlite')), PORT: '0', HOST: '127.0.0.1', SEED_ON_START: 'auto' };
    if (!environment.SQLITE_PATH) environment.SEED_ON_START = 'always';
    const first = startProcess(environment);
    const url = await waitForUrl(first);
    // Not in demo mode: reference data only, every model NOT_STARTED (the demo plan progress needs demo mode).
    expect(first.stdout()).toMatch(/catalogue seeded, reference data only/);
    expect(await programCounts(url)).toEqual({ total: 38, completed: 0, inProgress: 0, notStarted: 38 });
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = startProcess({ ...environment, SEED_ON_START: 'auto' });
    const secondUrl = await waitForUrl(second);
    expect(second.stdout()).not.toMatch(/catalogue seeded/);
    expect(await programCounts(secondUrl)).toEqual({ total: 38, completed: 0, inProgress: 0, notStarted: 38 });
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });

  it('an unreachable database gives one clear line and a non-zero exit, without credentials', async () => {
    const started = startProcess({ DATABASE_URL: 'mariadb://pilothub:secret-password@127.0.0.1:1/pilothub', PORT: '0' });
    expect(await started.exited).toBe(1);
    const lines = started.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^PilotHub cannot start: cannot open the database \(mariadb at 127\.0\.0\.1:1\/pilothub\): /);
    expect(started.stderr()).not.toContain('secret-password');
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT: /],
    [{ DATABASE_URL: 'postgres://localhost/hub' }, /DATABASE_URL: must start with mysql:\/\/ or mariadb:\/\//],
    [{ SEED_ON_START: 'sometimes' }, /SEED_ON_START: /],
    [{ TIME_ZONE: 'Mars/Olympus' }, /TIME_ZONE: must be an IANA time zone/],
    [{ NODE_ENV: 'prod' }, /NODE_ENV: must be development, test or production, not "prod"/],
    [{ NODE_ENV: 'Production' }, /NODE_ENV: must be development, test or production, not "Production"/],
    [{ DATABASE_URL: 'mariadb://hub:pa/ss@127.0.0.1:3306/pilothub' }, /DATABASE_URL: is not a valid URL; URL-encode special characters .*\/ as %2F, @ as %40/],
    [{ DATABASE_URL: 'mariadb://hub:secret@127.0.0.1:3306' }, /DATABASE_URL: must end with the database name/],
  ])('invalid configuration %j is refused in one line', async (environment, message) => {
    const started = startProcess({ SQLITE_PATH: path.join(folder, 'unused.sqlite'), ...environment });
    expect(await started.exited).toBe(1);
    const lines = started.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^PilotHub cannot start: invalid configuration: /);
    expect(lines[0]).toMatch(message);
    expect(fs.existsSync(path.join(folder, 'unused.sqlite'))).toBe(false);
  });

  it('writes a start-up error as one JSON line with LOG_FORMAT=json (and by default in production)', async () => {
    const environments: Array<Record<string, string>> = [{ LOG_FORMAT: 'json', PORT: 'eighty' }, { NODE_ENV: 'production', PORT: 'eighty' }];
    for (const environment of environments) {
      const started = startProcess({ SQLITE_PATH: path.join(folder, 'unused.sqlite'), ...environment });
      expect(await started.exited).toBe(1);
      const lines = started.stderr().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0])).toEqual({ level: 60, time: expect.any(Number), service: 'pilothub', msg: expect.stringMatching(/^PilotHub cannot start: invalid configuration: PORT: /) });
    }
  });

  it('refuses production without SECRETS_KEYS, generating no key file', async () => {
    const keyFolder = path.join(folder, 'production');
    const started = startProcess({ SQLITE_PATH: path.join(keyFolder, 'hub.sqlite'), NODE_ENV: 'production', LOG_FORMAT: 'pretty', SECRETS_KEYS: '' });
    expect(await started.exited).toBe(1);
    expect(started.stderr().trim()).toMatch(/^PilotHub cannot start: invalid configuration: SECRETS_KEYS is required with NODE_ENV=production \(.*a production hub never generates a key file\)/);
    expect(fs.existsSync(keyFolder)).toBe(false);
  });
});
