/**
 * Secrets keys in production, with real hub processes on one database:
 * - a key missing from SECRETS_KEYS (secrets encrypted with a key no longer configured) leaves the hub running:
 *   the start-up log and /readyz (200, `degraded`) name the key and the connectors that need it, those
 *   connectors' runs fail CONFIG naming the key, the others run;
 * - other bytes under a known key id refuse the start, whether the id's check value was recorded or the id is
 *   seen for the first time with secrets stored under it (a database from before check values).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { startTestServer, type TestServer } from '../../connectors/sdk/testing';
import { createDataSource } from '../../src/database/data-source';
import { ConnectorSecret } from '../../src/modules/connectors/connector.entity';
import { formatSecretKeys, generateSecretKey } from '../../src/security/secret-box';
import { SecretKeyCheck } from '../../src/security/secret-key-check.entity';
import { postGraphQL, startHubProcess, waitForUrl, type HubProcess } from '../helpers/hub-process';
import { databaseIdOf } from '../helpers/api';
import { allowServer } from '../helpers/outbound';
import { testDatabaseConfig } from '../helpers/test-database';
import { compiledBuild, compiledHub, type CompiledBuild } from '../helpers/compiled-build';

// The compiled build is made by the first file of a run that needs it (about 20 s of compiling).
jest.setTimeout(240_000);

const REGISTER = 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }';
const RUN = 'mutation($id: ID!) { runConnector(id: $id, from: "2024-08-01", to: "2024-08-01", wait: true) { status errorClass errorMessage } }';
const MAPPING = { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'communeCode' }, period: { field: 'date' }, value: { field: 'visits' } };

describe('secrets keys of a production hub', () => {
  let folder: string;
  let dataSource: DataSource;
  let feed: TestServer;
  let environment: Record<string, string>;
  const started: HubProcess[] = [];
  const current = generateSecretKey('k1');
  const retired = generateSecretKey('old');

  let build: CompiledBuild;
  beforeAll(async () => {
    // The compiled build, as the image runs it.
    build = compiledBuild();
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-keys-'));
    const server = testDatabaseConfig();
    const config = server.kind === 'sqlite' ? { kind: 'sqlite' as const, location: path.join(folder, 'hub.sqlite'), poolSize: 1 } : server;
    dataSource = createDataSource(config);
    await dataSource.initialize();
    await dataSource.dropDatabase();
    environment = {
      ...(config.kind === 'sqlite' ? { SQLITE_PATH: config.location } : { DATABASE_URL: config.location }),
      NODE_ENV: 'production', LOG_FORMAT: 'json', PORT: '0', HOST: '127.0.0.1', SEED_ON_START: 'never', SHUTDOWN_DELAY_SECONDS: '0',
    };
    feed = await startTestServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ data: [] }));
    });
  });
  afterEach(async () => {
    for (const hub of started.splice(0)) {
      if (hub.child.exitCode === null && hub.child.signalCode === null) hub.child.kill('SIGKILL');
      await hub.exited;
    }
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await feed?.close();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  const start = (keys: string, extra: Record<string, string> = {}) => {
    const hub = startHubProcess({ ...environment, SECRETS_KEYS: keys, ...extra }, { compiled: compiledHub(build) });
    started.push(hub);
    return hub;
  };
  const register = async (url: string, name: string) => {
    const input = {
      name, kind: 'http-json', department: 'SO_YT', schedule: '0 0 1 1 *', mapping: MAPPING, secrets: [{ name: 'token', value: `${name}-token` }],
      config: { url: `${feed.url}/records`, headers: { authorization: 'Bearer {{secret:token}}' }, recordsPath: 'data' },
    };
    return (await postGraphQL<{ registerConnector: { id: string } }>(url, REGISTER, { input })).registerConnector.id;
  };
  const stop = async (hub: HubProcess) => {
    hub.child.kill('SIGTERM');
    expect(await hub.exited).toBe(0);
  };
  const refusal = async (hub: HubProcess) => {
    expect(await hub.exited).toBe(1);
    const lines = hub.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    return (JSON.parse(lines[0]) as { msg: string }).msg;
  };

  let retiredConnector: string;
  let currentConnector: string;

  it('a key missing from SECRETS_KEYS disables only the connectors that need it, and /readyz says so (200, degraded)', async () => {
    // Secrets written while "old" was the active key; "k1" takes over.
    const before = start(formatSecretKeys([retired, current]), { SEED_ON_START: 'always' });
    const beforeUrl = await waitForUrl(before);
    await allowServer(beforeUrl, feed.url);
    retiredConnector = await register(beforeUrl, 'Old key feed');
    await stop(before);
    // "old" is dropped from SECRETS_KEYS without rotating first (or lost).
    const hub = start(formatSecretKeys([current]));
    const url = await waitForUrl(hub);
    currentConnector = await register(url, 'Current key feed');
    const reason = `connector secrets are encrypted with keys that are not configured in SECRETS_KEYS: "old" (connector ${databaseIdOf(retiredConnector)}); the runs of those connectors fail CONFIG until the key is added back or their secrets are set again`;
    const logs = hub.stdout().trim().split('\n').map((line) => JSON.parse(line) as { level: number; msg: string; missingKeyIds?: string[] });
    expect(logs).toContainEqual(expect.objectContaining({ level: 40, msg: reason, missingKeyIds: ['old'] }));

    const readyz = await fetch(new URL('/readyz', url));
    expect(readyz.status).toBe(200);
    expect(await readyz.json()).toEqual({
      status: 'degraded',
      checks: { database: { ok: true }, migrations: { ok: true }, scheduler: { ok: true }, secrets: { ok: false, degraded: true, detail: reason } },
    });
    const failed = await postGraphQL<{ runConnector: { status: string; errorClass: string; errorMessage: string } }>(url, RUN, { id: retiredConnector });
    expect(failed.runConnector).toEqual({
      status: 'FAILED',
      errorClass: 'CONFIG',
      errorMessage: expect.stringContaining(`was encrypted with key "old", which is not configured (SECRETS_KEYS)`),
    });
    const succeeded = await postGraphQL<{ runConnector: { status: string } }>(url, RUN, { id: currentConnector });
    expect(succeeded.runConnector.status).toBe('SUCCEEDED');
    expect(feed.requests.at(-1)?.headers.authorization).toBe('Bearer Current key feed-token');
    await stop(hub);
  }, 240_000);

  it('other bytes under a key id whose check value is recorded refuse the start, naming the key', async () => {
    expect((await dataSource.getRepository(SecretKeyCheck).find({ order: { keyId: 'ASC' } })).map((row) => row.keyId)).toEqual(['k1', 'old']);
    const wrong = start(formatSecretKeys([{ id: 'k1', key: generateSecretKey('k1').key }]));
    expect(await refusal(wrong)).toMatch(
      /^PilotHub cannot start: SECRETS_KEYS: key "k1" is not the key first used under that id \(on \d{4}-\d{2}-\d{2}\): give each key id its original bytes .*; a new key needs a new id$/,
    );
  }, 120_000);

  it('other bytes under a key id seen for the first time refuse the start when secrets are stored under it', async () => {
    // A database from before check values: none recorded yet.
    await dataSource.getRepository(SecretKeyCheck).clear();
    const wrong = start(formatSecretKeys([current, { id: 'old', key: generateSecretKey('old').key }]));
    expect(await refusal(wrong)).toBe(
      `PilotHub cannot start: SECRETS_KEYS: key "old" does not decrypt the secrets stored under that id (secret "token" of connector ${databaseIdOf(retiredConnector)}): ` +
        'give each key id its original bytes (from where SECRETS_KEYS is kept with the backups); a new key needs a new id',
    );
    // Nothing was recorded for the refused key; the right keys start, are recorded, and every connector runs again.
    expect(await dataSource.getRepository(SecretKeyCheck).findOneBy({ keyId: 'old' })).toBeNull();
    const hub = start(formatSecretKeys([current, retired]));
    const url = await waitForUrl(hub);
    expect(await (await fetch(new URL('/readyz', url))).json()).toMatchObject({ status: 'ready', checks: { secrets: { ok: true } } });
    expect((await dataSource.getRepository(SecretKeyCheck).find({ order: { keyId: 'ASC' } })).map((row) => row.keyId)).toEqual(['k1', 'old']);
    for (const id of [retiredConnector, currentConnector]) {
      expect((await postGraphQL<{ runConnector: { status: string } }>(url, RUN, { id })).runConnector.status).toBe('SUCCEEDED');
    }
    expect(await dataSource.getRepository(ConnectorSecret).count()).toBe(2);
    await stop(hub);
  }, 240_000);
});
