/**
 * Migrations with several processes starting at once (a scaled-out deployment restarted together): the first to
 * take the database's migration lock applies what is pending, the others wait and find nothing left; every
 * process becomes ready and each migration is recorded once. /readyz refuses a database migrated by a newer
 * version (naming its migrations) unless ALLOW_NEWER_SCHEMA says the rollback is deliberate.
 * Real hub processes, on a SQLite file and on the server database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import type { DatabaseConfig } from '../../src/config';
import { createDataSource } from '../../src/database/data-source';
import { databaseEnvironment, startHubProcess, waitForUrl, type HubProcess } from '../helpers/hub-process';
import { testDatabaseConfig } from '../helpers/test-database';
import { compiledBuild, compiledHub, type CompiledBuild } from '../helpers/compiled-build';

// The compiled build is made by the first file of a run that needs it (about 20 s of compiling).
jest.setTimeout(240_000);

const FUTURE = 'ExpandSomething1899999999999';

describe('migrations under a lock, several processes starting at once', () => {
  let folder: string;
  let config: DatabaseConfig;
  let dataSource: DataSource;
  let known: string[];
  let environment: Record<string, string>;
  const started: HubProcess[] = [];

  let build: CompiledBuild;
  beforeAll(async () => {
    // The compiled build, as the image runs it.
    build = compiledBuild();
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-migration-lock-'));
    const sqliteFile = path.join(folder, 'hub.sqlite');
    config = testDatabaseConfig().kind === 'sqlite' ? { kind: 'sqlite', location: sqliteFile, poolSize: 1 } : testDatabaseConfig();
    dataSource = createDataSource(config);
    await dataSource.initialize();
    // An empty database: no table at all, not even the migrations table.
    await dataSource.dropDatabase();
    known = dataSource.migrations.map((migration) => migration.name!);
    environment = { ...databaseEnvironment(sqliteFile), PORT: '0', HOST: '127.0.0.1', SEED_ON_START: 'never', LOG_FORMAT: 'json', SHUTDOWN_DELAY_SECONDS: '0' };
  });
  afterEach(async () => {
    for (const hub of started.splice(0)) {
      if (hub.child.exitCode === null && hub.child.signalCode === null) hub.child.kill('SIGKILL');
      await hub.exited;
    }
  });
  afterAll(async () => {
    await dataSource?.destroy();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  const start = (extra: Record<string, string> = {}) => {
    const hub = startHubProcess({ ...environment, ...extra }, { compiled: compiledHub(build) });
    started.push(hub);
    return hub;
  };
  const recorded = async () => ((await dataSource.query('SELECT name FROM migrations ORDER BY id')) as Array<{ name: string }>).map((row) => row.name);
  const readyz = async (url: string) => {
    const response = await fetch(new URL('/readyz', url));
    return { status: response.status, body: (await response.json()) as { status: string; checks: Record<string, { ok: boolean; detail?: string }> } };
  };
  async function stopAll(hubs: HubProcess[]) {
    for (const hub of hubs) hub.child.kill('SIGTERM');
    expect(await Promise.all(hubs.map((hub) => hub.exited))).toEqual(hubs.map(() => 0));
  }

  it('three processes on an empty database all become ready, each migration applied once', async () => {
    const hubs = [start(), start(), start()];
    const urls = await Promise.all(hubs.map((hub) => waitForUrl(hub)));
    for (const hub of hubs) expect(hub.stderr()).toBe('');
    for (const url of urls) expect((await readyz(url)).status).toBe(200);
    expect(await recorded()).toEqual(known);
    await stopAll(hubs);
  }, 240_000);

  it('a migration pending when three processes start is applied once, by one of them', async () => {
    // The database of the previous version: the latest migration undone (its table is gone).
    await dataSource.undoLastMigration();
    const latest = known[known.length - 1];
    expect(await recorded()).toEqual(known.slice(0, -1));
    const hubs = [start(), start(), start()];
    const urls = await Promise.all(hubs.map((hub) => waitForUrl(hub)));
    for (const hub of hubs) expect(hub.stderr()).toBe('');
    for (const url of urls) expect(await readyz(url)).toMatchObject({ status: 200, body: { checks: { migrations: { ok: true } } } });
    expect(await recorded()).toEqual(known);
    expect((await recorded()).filter((name) => name === latest)).toHaveLength(1);
    await stopAll(hubs);
  }, 240_000);

  it('/readyz answers 503 naming migrations this version does not know; ALLOW_NEWER_SCHEMA keeps it ready, still naming them', async () => {
    const hub = start();
    const url = await waitForUrl(hub);
    expect((await readyz(url)).status).toBe(200);
    // What a newer version leaves behind once the code is rolled back.
    await dataSource.query(`INSERT INTO migrations (${dataSource.driver.escape('timestamp')}, name) VALUES (?, ?)`, [1899999999999, FUTURE]);
    try {
      const refused = await readyz(url);
      expect(refused.status).toBe(503);
      expect(refused.body.status).toBe('not ready');
      expect(refused.body.checks.migrations).toEqual({
        ok: false,
        detail: `the database has migrations this version does not know (a newer version migrated it): ${FUTURE}; deploy that version again, or set ALLOW_NEWER_SCHEMA=true if its migrations only expand the schema`,
      });
      const allowing = start({ ALLOW_NEWER_SCHEMA: 'true' });
      const allowed = await readyz(await waitForUrl(allowing));
      expect(allowed.status).toBe(200);
      expect(allowed.body.checks.migrations).toEqual({ ok: true, detail: `the database has migrations this version does not know (a newer version migrated it): ${FUTURE}; allowed by ALLOW_NEWER_SCHEMA` });
      await stopAll([hub, allowing]);
    } finally {
      await dataSource.query('DELETE FROM migrations WHERE name = ?', [FUTURE]);
    }
  }, 240_000);
});
