import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openTestDatabase, testDatabaseConfig } from '../helpers/test-database';

const ROOT = path.join(__dirname, '..', '..');

interface Started {
  child: ReturnType<typeof spawn>;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Runs `npm start`'s entry point as its own process with exactly the given environment additions. */
function startProcess(environment: Record<string, string>): Started {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !['DATABASE_URL', 'PORT', 'SQLITE_PATH', 'SEED_ON_START', 'TEST_DATABASE_URL'].includes(name)),
  );
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: ROOT,
    env: { PILOTHUB_DEMO: 'false', ...inherited, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

async function waitForUrl(started: Started): Promise<string> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const match = /ready at (http:\/\/\S+)/.exec(started.stdout());
    if (match) return match[1];
    if (started.child.exitCode !== null) throw new Error(`hub exited: ${started.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`hub did not start: ${started.stdout()} ${started.stderr()}`);
}

async function programCounts(url: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ program(code: "DA06") { pilotModelCounts { total completed inProgress notStarted } } }' }),
  });
  return ((await response.json()) as { data: { program: { pilotModelCounts: unknown } } }).data.program.pilotModelCounts;
}

/** Environment that points the process at this run's database. */
function databaseEnvironment(sqliteFile: string): Record<string, string> {
  const config = testDatabaseConfig();
  return config.kind === 'sqlite' ? { SQLITE_PATH: sqliteFile } : { DATABASE_URL: config.location };
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
    expect(first.stdout()).toMatch(/catalogue seeded/);
    expect(await programCounts(url)).toEqual({ total: 38, completed: 6, inProgress: 20, notStarted: 12 });
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = startProcess({ ...environment, SEED_ON_START: 'auto' });
    const secondUrl = await waitForUrl(second);
    expect(second.stdout()).not.toMatch(/catalogue seeded/);
    expect(await programCounts(secondUrl)).toEqual({ total: 38, completed: 6, inProgress: 20, notStarted: 12 });
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
  ])('invalid configuration %j is refused in one line', async (environment, message) => {
    const started = startProcess({ SQLITE_PATH: path.join(folder, 'unused.sqlite'), ...environment });
    expect(await started.exited).toBe(1);
    const lines = started.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^PilotHub cannot start: invalid configuration: /);
    expect(lines[0]).toMatch(message);
    expect(fs.existsSync(path.join(folder, 'unused.sqlite'))).toBe(false);
  });
});
