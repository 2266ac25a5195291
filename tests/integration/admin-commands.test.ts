/**
 * The administration commands of the compiled build (`pilothub-admin`: bin/pilothub-admin.js → dist/src/admin.js,
 * as the image runs them) and the compiled hub, on an empty database of their own: production seeding loads
 * reference data only, demo data needs demo mode or `seed --demo` (refused in production unless allowed), and
 * `purge-demo` removes exactly the demo rows in one transaction, keeping connector data and the month rollups true.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IsNull, Not, type DataSource } from 'typeorm';
import { ConfigError, loadConfig, type DatabaseConfig } from '../../src/config';
import { ProgressStatus, UnitLevel } from '../../src/common/enums';
import { createDataSource } from '../../src/database/data-source';
import { ChangedField } from '../../src/modules/catalogue/change-record';
import { PilotModel, PilotModelChange } from '../../src/modules/catalogue/pilot-model.entity';
import { Task } from '../../src/modules/catalogue/task.entity';
import { Observation } from '../../src/modules/observations/observation.entity';
import { rebuildRollups } from '../../src/modules/observations/rollups';
import { AdministrativeUnit } from '../../src/modules/units/administrative-unit.entity';
import { ingestRows } from '../../src/ingestion/ingest';
import { commandEnvironment, compiledBuild, compiledHub, type CompiledBuild } from '../helpers/compiled-build';
import { emptyDatabase as emptyDatabaseIn, postGraphQL, startHubProcess, waitForUrl } from '../helpers/hub-process';
import { installFailingTrigger } from '../helpers/test-database';
import { TEST_SECRETS_KEYS } from '../helpers/outbound';

jest.setTimeout(240_000);

/** A production process's settings: production requires SECRETS_KEYS. */
const PRODUCTION = { NODE_ENV: 'production', SECRETS_KEYS: TEST_SECRETS_KEYS };

let build: CompiledBuild;
let folder: string;

beforeAll(async () => {
  build = compiledBuild();
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-admin-'));
});

afterAll(() => {
  fs.rmSync(folder, { recursive: true, force: true });
});

/** An empty database (no table) in this file's folder. */
const emptyDatabase = (name: string) => emptyDatabaseIn(folder, name);

async function open(config: DatabaseConfig): Promise<DataSource> {
  const dataSource = createDataSource(config);
  await dataSource.initialize();
  return dataSource;
}

/** The month rollup rows, in key order, as plain figures. */
async function rollups(dataSource: DataSource): Promise<unknown[]> {
  const rows: Array<Record<string, unknown>> = await dataSource.query(
    'SELECT metricId, unitId, month, valueSum, observationCount, latestPeriodStart, latestValue FROM observation_rollup ORDER BY metricId, unitId, month',
  );
  return rows.map((row) => ({ ...row, valueSum: Number(row.valueSum), observationCount: Number(row.observationCount), latestPeriodStart: String(row.latestPeriodStart).slice(0, 10) }));
}

describe('pilothub-admin (compiled)', () => {
  it('prints its usage, and answers an unknown command or option with exit 2 and the usage', () => {
    const help = build.admin(['help'], commandEnvironment({}));
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: pilothub-admin <command>/);
    for (const command of ['migrate', 'seed [--demo]', 'purge-demo [--dry-run]', 'rotate-secrets']) expect(help.stdout).toContain(command);

    const unknown = build.admin(['import-everything'], commandEnvironment({}));
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^pilothub-admin: unknown command "import-everything"\n\nUsage:/);
    const option = build.admin(['seed', '--demo-data'], commandEnvironment({}));
    expect(option.status).toBe(2);
    expect(option.stderr).toContain('seed: unknown option "--demo-data" (it takes --demo)');
  });

  it('production: migrate, a hub seeding on start (SEED_ON_START=always), then seed: reference data only, no observation, no latest value', async () => {
    const { config, environment } = await emptyDatabase('production');
    const production = commandEnvironment({ ...environment, ...PRODUCTION });

    const migrated = build.admin(['migrate'], production);
    expect(migrated.stderr).toBe('');
    expect(migrated.stdout).toMatch(/^applied: Initial\d+, Connectors\d+, /);
    expect(migrated.status).toBe(0);
    expect(build.admin(['migrate'], production).stdout.trim()).toBe('database is up to date');

    const hub = startHubProcess({ ...environment, NODE_ENV: 'production', SEED_ON_START: 'always', PORT: '0', HOST: '127.0.0.1', SHUTDOWN_DELAY_SECONDS: '0' }, { compiled: compiledHub(build) });
    try {
      const url = await waitForUrl(hub);
      expect(hub.stdout()).toContain('catalogue seeded, reference data only');
      const data = await postGraphQL<{ metric: { latest: unknown }; pilotModels: { totalCount: number; edges: Array<{ node: { status: string; statusIsDemo: boolean } }> } }>(
        url,
        '{ metric(code: "KCB_BIOMETRIC_VISITS") { latest { period value } } pilotModels(first: 50) { totalCount edges { node { status statusIsDemo } } } }',
      );
      expect(data.metric.latest).toBeNull();
      expect(data.pilotModels.totalCount).toBe(38);
      expect(new Set(data.pilotModels.edges.map(({ node }) => `${node.status} ${node.statusIsDemo}`))).toEqual(new Set(['NOT_STARTED false']));
    } finally {
      hub.child.kill('SIGTERM');
      expect(await hub.exited).toBe(0);
    }

    const seeded = build.admin(['seed'], production);
    expect(seeded.stderr).toBe('');
    expect(seeded.stdout).toMatch(/^seed complete \(reference data only\); rows inserted: departments 0, .*observations 0$/m);
    expect(seeded.status).toBe(0);
    const refused = build.admin(['seed', '--demo'], production);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('seed failed: seed --demo with NODE_ENV=production');
    expect(refused.stderr).toContain('PILOTHUB_DEMO_IN_PRODUCTION=true');

    const dataSource = await open(config);
    try {
      expect(await dataSource.getRepository(Observation).count()).toBe(0);
      expect(await rollups(dataSource)).toEqual([]);
      expect(await dataSource.getRepository(Task).countBy({ status: ProgressStatus.NOT_STARTED })).toBe(51);
      expect(await dataSource.getRepository(PilotModel).countBy({ status: ProgressStatus.NOT_STARTED, statusIsDemo: false })).toBe(38);
      expect(await dataSource.getRepository(AdministrativeUnit).count()).toBe(612);
    } finally {
      await dataSource.destroy();
    }
  });

  it('a production hub refuses demo mode, naming the override; the override lets the configuration through', async () => {
    const hub = startHubProcess({ SQLITE_PATH: path.join(folder, 'refused.sqlite'), ...PRODUCTION, LOG_FORMAT: 'pretty', PILOTHUB_DEMO: 'true', PORT: '0' }, { compiled: compiledHub(build) });
    expect(await hub.exited).toBe(1);
    expect(hub.stderr()).toMatch(/^PilotHub cannot start: invalid configuration: PILOTHUB_DEMO=true with NODE_ENV=production: .*PILOTHUB_DEMO_IN_PRODUCTION=true/);
    expect(fs.existsSync(path.join(folder, 'refused.sqlite'))).toBe(false);

    expect(() => loadConfig({ ...PRODUCTION, PILOTHUB_DEMO: 'true' })).toThrow(ConfigError);
    expect(loadConfig({ ...PRODUCTION, PILOTHUB_DEMO: 'true', PILOTHUB_DEMO_IN_PRODUCTION: 'true' }).demo.enabled).toBe(true);
    // Without DATABASE_URL demo mode is on by default, except in production.
    expect(loadConfig(PRODUCTION).demo.enabled).toBe(false);
    expect(loadConfig({ NODE_ENV: 'development' }).demo.enabled).toBe(true);
  });

  it('purge-demo: all or nothing; --dry-run counts; removes exactly the demo rows, keeps connector data and reported statuses, rollups re-derived', async () => {
    const { config, environment } = await emptyDatabase('purge');
    const development = commandEnvironment({ ...environment, NODE_ENV: 'development' });
    const seeded = build.admin(['seed', '--demo'], development);
    expect(seeded.stderr).toBe('');
    expect(seeded.stdout).toMatch(/^seed complete \(reference and demo data\); .*observations [1-9]\d{3}$/m);

    const dataSource = await open(config);
    try {
      const observations = dataSource.getRepository(Observation);
      // Connector data: one demo value replaced by a connector, and new values in the months of demo values.
      const replaced = await observations.findOneOrFail({ where: { isDemo: true, metric: { code: 'KCB_BIOMETRIC_VISITS' } }, relations: { unit: true }, order: { period: 'DESC' } });
      // A 2024 commune: the demo values are per district.
      const commune = await dataSource.getRepository(AdministrativeUnit).findOneOrFail({ where: { level: UnitLevel.COMMUNE, validTo: Not(IsNull()) }, order: { code: 'ASC' } });
      const origin = { runId: null, source: 'connector:test', actor: 'test', mappingVersion: null, today: '2026-12-01' };
      const written = await ingestRows(dataSource, [
        { metric: 'KCB_BIOMETRIC_VISITS', unit: replaced.unit!.code, period: replaced.period, value: replaced.value + 1000 },
        { metric: 'KCB_BIOMETRIC_VISITS', unit: commune.code, period: replaced.period, value: 77 },
        { metric: 'KCB_BIOMETRIC_VISITS', unit: '414', period: '2024-04-02', value: 5 },
      ], origin);
      expect(written.rejections).toEqual([]);
      expect(written).toMatchObject({ imported: 2, updated: 1 });
      const connectorIds = (await observations.findBy({ isDemo: false })).map((row) => row.id).sort();
      expect(connectorIds).toHaveLength(3);
      const demoCount = await observations.countBy({ isDemo: true });
      // A department reported one model's status since the seed.
      const reported = await dataSource.getRepository(PilotModel).findOneByOrFail({ code: 'M20' });
      await dataSource.getRepository(PilotModel).update({ id: reported.id }, { status: ProgressStatus.COMPLETED, completedAt: new Date() });
      await dataSource.getRepository(PilotModelChange).insert({
        subjectId: reported.id, field: ChangedField.STATUS, fromValue: reported.status, toValue: ProgressStatus.COMPLETED, changedAt: new Date(), author: 'SO_YT staff', note: 'done',
      });
      const demoStatuses = await dataSource.getRepository(PilotModel).countBy({ statusIsDemo: true });
      expect(demoStatuses).toBe(38);
      const rollupsBefore = await rollups(dataSource);

      // A failure midway (the last step, on the models) leaves everything as it was.
      await installFailingTrigger(dataSource, { name: 'purge_test_fail', event: 'UPDATE', table: 'pilot_model', message: 'forced failure of the purge test' });
      const failed = build.admin(['purge-demo'], development);
      expect(failed.status).toBe(1);
      expect(failed.stderr).toContain('purge-demo failed: ');
      expect(failed.stderr).toContain('forced failure of the purge test');
      expect(await observations.countBy({ isDemo: true })).toBe(demoCount);
      expect(await rollups(dataSource)).toEqual(rollupsBefore);
      await dataSource.query('DROP TRIGGER purge_test_fail');

      const dryRun = build.admin(['purge-demo', '--dry-run'], development);
      expect(dryRun.stderr).toBe('');
      expect(dryRun.stdout).toMatch(new RegExp(`^dry run, nothing changed: ${demoCount} demo observation\\(s\\) of \\d+ metric\\(s\\) \\(.*KCB_BIOMETRIC_VISITS \\d+.*\\); demo status of 51 task\\(s\\) and 37 pilot model\\(s\\)\\n$`));
      expect(await observations.countBy({ isDemo: true })).toBe(demoCount);

      const purged = build.admin(['purge-demo'], development);
      expect(purged.stderr).toBe('');
      expect(purged.stdout).toMatch(new RegExp(`^removed ${demoCount} demo observation\\(s\\) of .*; demo status of 51 task\\(s\\) and 37 pilot model\\(s\\); those tasks and models are NOT_STARTED\\n$`));
      expect(purged.status).toBe(0);

      expect((await observations.find()).map((row) => row.id).sort()).toEqual(connectorIds);
      expect((await observations.findOneByOrFail({ id: replaced.id })).value).toBe(replaced.value + 1000);
      // The rollups are what a rebuild from the remaining observations gives.
      const rollupsAfter = await rollups(dataSource);
      expect(rollupsAfter.length).toBeGreaterThan(0);
      await rebuildRollups(dataSource);
      expect(await rollups(dataSource)).toEqual(rollupsAfter);
      expect((rollupsAfter as Array<{ observationCount: number }>).reduce((sum, row) => sum + row.observationCount, 0)).toBe(3);

      const models = await dataSource.getRepository(PilotModel).find();
      expect(models.filter((model) => model.statusIsDemo)).toEqual([]);
      expect(models.filter((model) => model.status !== ProgressStatus.NOT_STARTED).map((model) => model.code)).toEqual(['M20']);
      expect(await dataSource.getRepository(Task).countBy({ status: ProgressStatus.NOT_STARTED, completedAt: IsNull() })).toBe(51);

      const again = build.admin(['purge-demo'], development);
      expect(again.stdout).toMatch(/^removed 0 demo observation\(s\) of 0 metric\(s\); demo status of 0 task\(s\) and 0 pilot model\(s\)/);
    } finally {
      await dataSource.destroy();
    }
  });
});

