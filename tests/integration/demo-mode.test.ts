import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addDays } from '../../src/common/period';
import { todayIn } from '../../src/common/clock';
import { databaseEnvironment, postGraphQL, startHubProcess, waitForUrl, type HubProcess } from '../helpers/hub-process';
import { openTestDatabase, testDatabaseConfig } from '../helpers/test-database';

interface DemoView {
  connectors: { totalCount: number; edges: Array<{ node: { kind: string; health: { status: string; nextRunAt: string | null } } }> };
  outboundHosts: Array<{ pattern: string; allowPrivate: boolean; createdBy: string }>;
  metric: { latest: { period: string; value: number; level: string }; freshness: { status: string } };
  loans: { latest: { period: string; value: number } };
}

describe('demo mode', () => {
  let folder: string;
  let hub: HubProcess | undefined;
  beforeAll(async () => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-demo-'));
    if (testDatabaseConfig().kind !== 'sqlite') {
      const database = await openTestDatabase({ seed: false });
      await database.dataSource.dropDatabase();
      await database.dataSource.destroy();
    }
  });
  afterAll(async () => {
    if (hub && hub.child.exitCode === null) {
      hub.child.kill('SIGTERM');
      await hub.exited;
    }
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('starts the simulator, registers the demo connectors and backfills them: live values, health and freshness', async () => {
    const keyFile = path.join(folder, 'pilothub.secret-key');
    hub = startHubProcess({
      ...databaseEnvironment(path.join(folder, 'demo.sqlite')),
      // Out of the box: no SECRETS_KEYS, so the demo's secret is encrypted with a key generated into a local file
      // (next to the SQLite file by default; named explicitly so a server database run writes it here too).
      SECRETS_KEYS: '',
      SECRETS_KEY_FILE: keyFile,
      PORT: '0',
      HOST: '127.0.0.1',
      PILOTHUB_DEMO: 'true',
      DEMO_FEEDS_PORT: '0',
      SEED_ON_START: 'always',
      // As `npm start` runs it: the TypeScript entry point.
    }, { typescript: true });
    const url = await waitForUrl(hub);
    for (let waited = 0; !/demo backfill finished/.test(hub.stdout()) && hub.child.exitCode === null && waited < 150_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(hub.stdout()).toMatch(/demo mode: feed simulator at http:\/\/127\.0\.0\.1:\d+/);
    expect(hub.stdout()).toMatch(/demo backfill finished/);
    expect(hub.stdout()).toContain('SECRETS_KEYS is not set: connector secrets are encrypted with a key generated into the key file');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const feedsPort = /demo mode: feed simulator at http:\/\/127\.0\.0\.1:(\d+)/.exec(hub.stdout())![1];

    const view = await postGraphQL<DemoView>(
      url,
      `{ connectors(first: 10) { totalCount edges { node { kind health { status nextRunAt } } } }
         outboundHosts { pattern allowPrivate createdBy }
         metric(code: "KCB_BIOMETRIC_VISITS") { latest { period value level } freshness { status } }
         loans: metric(code: "LOANS_UNSECURED_COUNT") { latest { period value } } }`,
    );
    expect(view.connectors.totalCount).toBe(4);
    // The simulator is reachable through exactly one entry demo mode added, visibly.
    expect(view.outboundHosts).toEqual([{ pattern: `127.0.0.1:${feedsPort}`, allowPrivate: true, createdBy: 'demo' }]);
    expect(view.connectors.edges.map((edge) => edge.node.kind).sort()).toEqual(['csv', 'dhis2', 'http-json', 'http-json']);
    expect(view.connectors.edges.every((edge) => edge.node.health.status === 'HEALTHY' && edge.node.health.nextRunAt !== null)).toBe(true);
    const yesterday = addDays(todayIn('Asia/Ho_Chi_Minh'), -1);
    // The simulator serves data up to yesterday in UTC, which is yesterday or the day before in Hà Nội.
    expect([yesterday, addDays(yesterday, -1)]).toContain(view.metric.latest.period);
    expect(view.metric.latest).toMatchObject({ level: 'COMMUNE' });
    expect(view.metric.latest.value).toBeGreaterThan(0);
    expect(view.metric.freshness.status).toBe('ON_TIME');
    expect(view.loans.latest.value).toBeGreaterThan(0);

    // One key per role is printed (not logged), and each one acts with its role; DEPARTMENT_IT manages SO_YT.
    const printed = [...hub.stdout().matchAll(/^ {3}(ADMIN|DEPARTMENT_IT|ANALYST|VIEWER) +(ph_[A-Za-z0-9_-]{43})\b/gm)].map((match) => [match[1], match[2]]);
    expect(printed.map(([role]) => role)).toEqual(['ADMIN', 'DEPARTMENT_IT', 'ANALYST', 'VIEWER']);
    for (const [role, key] of printed) {
      const { viewer } = await postGraphQL<{ viewer: { role: string; departments: Array<{ code: string }> | null } }>(
        url,
        '{ viewer { role departments { code } } }',
        undefined,
        { authorization: `Bearer ${key}` },
      );
      expect(viewer).toEqual({ role, departments: role === 'DEPARTMENT_IT' ? [{ code: 'SO_YT' }] : null });
    }
    expect(hub.stdout()).toMatch(/demo mode: 4 demo API keys issued/);
    expect(hub.stdout().split('\n').filter((line) => line.includes(printed[0][1]))).toHaveLength(1);

    hub.child.kill('SIGTERM');
    expect(await hub.exited).toBe(0);
  }, 200_000);
});
