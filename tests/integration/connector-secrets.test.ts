/**
 * Connector secrets at rest: encrypted in the database (no table holds one in the clear, nor the SQLite file),
 * sent decrypted to the source, kept out of run records, test results and logs, bound to their row, sealed when
 * an older version left them in the clear, rotated to a new key in one transaction, and refused clearly when a
 * key is missing.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { startTestServer, type TestServer } from '../../connectors/sdk/testing';
import { FactBasis } from '../../src/common/enums';
import { HubError } from '../../src/common/errors';
import { ConfigError } from '../../src/config';
import { createDataSource, migrate } from '../../src/database/data-source';
import { startHubServices } from '../../src/hub-services';
import { createLogger } from '../../src/observability/logger';
import { ConnectorRun } from '../../src/modules/connectors/connector-run.entity';
import { Connector, ConnectorSecret } from '../../src/modules/connectors/connector.entity';
import { Department } from '../../src/modules/departments/department.entity';
import { ConnectorSecretStore, rotateSecrets, sealPlaintextSecrets, SecretRotationError } from '../../src/security/connector-secrets';
import { formatSecretKeys, generateSecretKey, parseSecretKeys, SecretBox } from '../../src/security/secret-box';
import { loadSecretBox, secretBoxFromConfig } from '../../src/security/secret-keys';
import { dataOf, databaseIdOf } from '../helpers/api';
import { commandEnvironment, compiledBuild } from '../helpers/compiled-build';
import { databaseEnvironment, startHubProcess, waitForUrl } from '../helpers/hub-process';
import { TEST_SECRETS_KEYS } from '../helpers/outbound';
import { onServerDatabase, testDatabaseConfig } from '../helpers/test-database';
import { startTestHub, type TestHub } from '../helpers/test-hub';

const TOKEN = 'tok-9f8e7d6c5b4a-secret';
const API_KEY = 'apikey-31415926535-secret';
const REGISTER = 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id secretNames } }';
const RUN = 'mutation($id: ID!) { runConnector(id: $id, from: "2024-08-01", to: "2024-08-01", wait: true) { id status errorClass errorMessage } }';
const MAPPING = { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'communeCode' }, period: { field: 'date' }, value: { field: 'visits' } };
const testKey = parseSecretKeys(TEST_SECRETS_KEYS)[0];

/** Every row of every table, as text: what a database dump would hold. */
async function dumpAll(dataSource: DataSource): Promise<string> {
  const tables = [...new Set([...dataSource.entityMetadatas.map((metadata) => metadata.tableName), 'migrations'])];
  const parts: string[] = [];
  for (const table of tables) {
    const quoted = dataSource.options.type === 'better-sqlite3' ? `"${table}"` : `\`${table}\``;
    parts.push(JSON.stringify(await dataSource.query(`SELECT * FROM ${quoted}`)));
  }
  return parts.join('\n');
}

async function addConnector(dataSource: DataSource, name: string): Promise<number> {
  const department = await dataSource.getRepository(Department).findOneByOrFail({ code: 'SO_YT' });
  const now = new Date();
  const saved = await dataSource.getRepository(Connector).save({
    name, kind: 'push', departmentId: department.id, schedule: null, timeZone: 'Asia/Ho_Chi_Minh', enabled: true, lookbackDays: 7,
    maxWindowDays: null, config: '{}', mapping: '{}', mappingVersion: 1, createdAt: now, updatedAt: now, deletedAt: null,
  });
  return saved.id;
}

describe('connector secrets at rest', () => {
  let hub: TestHub;
  let feed: TestServer;
  const logs: string[] = [];

  const register = async (name: string, pathName: string, secrets = [{ name: 'token', value: TOKEN }]) => {
    const data = await dataOf<{ registerConnector: { id: string; secretNames: string[] } }>(hub, REGISTER, {
      input: {
        name, kind: 'http-json', department: 'SO_YT', schedule: '0 0 1 1 *',
        config: { url: `${feed.url}${pathName}`, headers: { authorization: 'Bearer {{secret:token}}', 'x-api-key': '{{secret:apiKey}}' }, recordsPath: 'data' },
        mapping: MAPPING, secrets,
      },
    });
    return data.registerConnector;
  };
  const secretRows = () => hub.dataSource.getRepository(ConnectorSecret).find({ order: { connectorId: 'ASC', name: 'ASC' } });

  beforeAll(async () => {
    feed = await startTestServer((req, res) => {
      if (req.url?.startsWith('/echo')) {
        // A source that echoes the credentials it was sent into its error body.
        res.writeHead(401, { 'content-type': 'text/plain' });
        res.end(`denied: you sent authorization=${req.headers.authorization} key=${req.headers['x-api-key']}`);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: [] }));
    });
    const logDestination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logs.push(chunk.toString());
        callback();
      },
    });
    hub = await startTestHub({ allowServers: [feed.url], logDestination });
  });
  afterAll(async () => {
    await hub?.close();
    await feed?.close();
  });

  it('stores secrets encrypted under the active key and sends them decrypted', async () => {
    const connector = await register('Secret feed', '/records', [{ name: 'token', value: TOKEN }, { name: 'apiKey', value: API_KEY }]);
    expect(connector.secretNames).toEqual(['apiKey', 'token']);
    const rows = await secretRows();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row).toMatchObject({ legacyPlaintext: null, keyId: 'test-1' });
      expect(Buffer.from(row.iv!, 'base64')).toHaveLength(12);
      expect(Buffer.from(row.tag!, 'base64')).toHaveLength(16);
    }
    const run = await dataOf<{ runConnector: { status: string } }>(hub, RUN, { id: connector.id });
    expect(run.runConnector.status).toBe('SUCCEEDED');
    const sent = feed.requests[feed.requests.length - 1];
    expect(sent.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent.headers['x-api-key']).toBe(API_KEY);
    const response = await hub.graphql(`{ connector(id: "${connector.id}") { config secretNames } }`);
    expect(JSON.stringify(response)).not.toContain(API_KEY);
  });

  it('keeps secrets out of run records, test results and logs when a source echoes them', async () => {
    const connector = await register('Echoing feed', '/echo', [{ name: 'token', value: 'echoed-token-271828' }, { name: 'apiKey', value: 'echoed-key-161803' }]);
    const run = await dataOf<{ runConnector: { id: string; status: string; errorClass: string; errorMessage: string } }>(hub, RUN, { id: connector.id });
    expect(run.runConnector).toMatchObject({ status: 'FAILED', errorClass: 'CONFIG' });
    expect(run.runConnector.errorMessage).toContain('HTTP 401');
    expect(run.runConnector.errorMessage).toContain('denied: you sent authorization=');
    const tested = await dataOf<{ testConnector: { ok: boolean; message: string } }>(hub, `mutation { testConnector(id: "${connector.id}") { ok message } }`);
    expect(tested.testConnector.ok).toBe(false);
    const stored = await hub.dataSource.getRepository(ConnectorRun).findBy({ connectorId: databaseIdOf(connector.id) });
    const everything = [JSON.stringify(run), JSON.stringify(tested), JSON.stringify(stored), await dumpAll(hub.dataSource), logs.join('')];
    expect(logs.join('')).toContain('connector run failed');
    for (const text of everything) {
      expect(text).not.toContain('echoed-token-271828');
      expect(text).not.toContain('echoed-key-161803');
    }
  });

  it('holds no secret in the clear in any table', async () => {
    const dump = await dumpAll(hub.dataSource);
    expect(dump).toContain('ciphertext');
    for (const secret of [TOKEN, API_KEY, 'echoed-token-271828']) expect(dump).not.toContain(secret);
  });

  it('refuses a ciphertext copied into another row (bound to connector and name)', async () => {
    const victim = await register('Swapped secret feed', '/records', [{ name: 'token', value: 'victim-token-577215' }]);
    const [source] = (await secretRows()).filter((row) => row.name === 'token' && row.connectorId !== databaseIdOf(victim.id));
    await hub.dataSource.getRepository(ConnectorSecret).update(
      { connectorId: databaseIdOf(victim.id), name: 'token' },
      { ciphertext: source.ciphertext, iv: source.iv, tag: source.tag, keyId: source.keyId },
    );
    const before = feed.requests.length;
    try {
      const run = await dataOf<{ runConnector: { status: string; errorClass: string; errorMessage: string } }>(hub, RUN, { id: victim.id });
      expect(run.runConnector).toMatchObject({
        status: 'FAILED',
        errorClass: 'CONFIG',
        errorMessage: `secret "token" of connector ${databaseIdOf(victim.id)} cannot be decrypted: it was altered, or it belongs to another connector or secret`,
      });
      expect(feed.requests.length).toBe(before);
    } finally {
      // Deleting a connector deletes its secrets: the damaged row does not disturb the rotation tests.
      await hub.graphql('mutation($id: ID!) { deleteConnector(id: $id) }', { id: victim.id });
    }
  });

  it('encrypts secrets an older version stored in the clear when the hub starts', async () => {
    const connectorId = await addConnector(hub.dataSource, 'Legacy push');
    await hub.dataSource.getRepository(ConnectorSecret).insert({ connectorId, name: 'token', legacyPlaintext: 'legacy-plain-141421', ciphertext: null, iv: null, tag: null, keyId: null });
    expect(await dumpAll(hub.dataSource)).toContain('legacy-plain-141421');
    const reported: unknown[] = [];
    const services = await startHubServices(hub.hubConfig, hub.dataSource, { reportError: (error) => reported.push(error) });
    await services.stop(2_000);
    expect(reported).toEqual([]);
    const row = await hub.dataSource.getRepository(ConnectorSecret).findOneByOrFail({ connectorId, name: 'token' });
    expect(row).toMatchObject({ legacyPlaintext: null, keyId: 'test-1' });
    expect(await dumpAll(hub.dataSource)).not.toContain('legacy-plain-141421');
    expect(await hub.services.secrets.read(connectorId)).toEqual({ token: 'legacy-plain-141421' });
  });

  it('rotates every secret to the active key in one transaction, and a second rotation changes nothing', async () => {
    const total = (await secretRows()).length;
    const next = generateSecretKey('k2');
    const report = await rotateSecrets(hub.dataSource, new SecretBox([next, testKey]));
    expect(report).toEqual({ total, reencrypted: total, sealedPlaintext: 0, alreadyCurrent: 0, activeKeyId: 'k2' });
    expect(new Set((await secretRows()).map((row) => row.keyId))).toEqual(new Set(['k2']));
    const again = await rotateSecrets(hub.dataSource, new SecretBox([next, testKey]));
    expect(again).toMatchObject({ reencrypted: 0, alreadyCurrent: total });
    // Only the new key is needed now.
    const onlyNext = new ConnectorSecretStore(hub.dataSource, new SecretBox([next]));
    const anyConnector = (await secretRows()).find((row) => row.name === 'apiKey')!.connectorId;
    expect(await onlyNext.read(anyConnector)).toEqual({ apiKey: API_KEY, token: TOKEN });
    // Back to the hub's key, so the rest of the file runs with it.
    expect(await rotateSecrets(hub.dataSource, new SecretBox([testKey, next]))).toMatchObject({ reencrypted: total, activeKeyId: 'test-1' });
  });

  it('fails a rotation when a secret names a key that is not configured, changing nothing', async () => {
    const rows = await secretRows();
    await hub.dataSource.getRepository(ConnectorSecret).update({ connectorId: rows[0].connectorId, name: rows[0].name }, { keyId: 'retired' });
    const before = await secretRows();
    try {
      await expect(rotateSecrets(hub.dataSource, new SecretBox([generateSecretKey('k3'), testKey]))).rejects.toThrow(SecretRotationError);
      await expect(rotateSecrets(hub.dataSource, new SecretBox([generateSecretKey('k3'), testKey]))).rejects.toThrow(
        /^nothing was changed: 1 secret\(s\) cannot be decrypted with the configured keys \(k3, test-1\): .* was encrypted with key "retired", which is not configured/,
      );
      expect(await secretRows()).toEqual(before);
    } finally {
      await hub.dataSource.getRepository(ConnectorSecret).update({ connectorId: rows[0].connectorId, name: rows[0].name }, { keyId: 'test-1' });
    }
  });

  it('in production, refuses to start without SECRETS_KEYS, warns (and starts) when stored secrets need a key that is not configured, and stores no secret without a key', async () => {
    const production = { ...hub.hubConfig, production: true };
    const rows = await secretRows();
    await expect(loadSecretBox({ ...production, secrets: { keys: [], activeKeyId: null, keyFile: null } }, hub.dataSource)).rejects.toThrow(
      new ConfigError('SECRETS_KEYS is required with NODE_ENV=production: a production hub never generates a key file'),
    );
    const other = generateSecretKey('other');
    const warnings: string[] = [];
    const logger = createLogger({ level: 'warn', pretty: false }, { write: (line: string) => warnings.push((JSON.parse(line) as { msg: string }).msg) });
    expect((await loadSecretBox({ ...production, secrets: { keys: [other], activeKeyId: 'other', keyFile: null } }, hub.dataSource, logger)).activeKeyId).toBe('other');
    const connectors = [...new Set(rows.map((row) => row.connectorId))].join(', ');
    expect(warnings).toEqual([
      `connector secrets are encrypted with keys that are not configured in SECRETS_KEYS: "test-1" (connector${connectors.includes(',') ? 's' : ''} ${connectors}); ` +
        'the runs of those connectors fail CONFIG until the key is added back or their secrets are set again',
    ]);
    expect((await loadSecretBox(production, hub.dataSource))?.activeKeyId).toBe('test-1');
    const keyless = new ConnectorSecretStore(hub.dataSource, null);
    const error = await hub.dataSource.transaction((manager) => keyless.write(manager, 1, [{ name: 'token', value: 'x' }], 'feed.example:443')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HubError);
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: 'connector secrets cannot be stored: this hub has no encryption key (set SECRETS_KEYS)' });
  });

  it('in development without SECRETS_KEYS, generates a key once into a 0600 file and reuses it', () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-keys-'));
    try {
        const keyFile = path.join(folder, 'pilothub.secret-key');
        const development = { ...hub.hubConfig, production: false, secrets: { keys: [], activeKeyId: null, keyFile } };
        const first = secretBoxFromConfig(development)!;
        expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
        const sealed = first.seal('dev-secret', { connectorId: 1, name: 'token' });
        const second = secretBoxFromConfig(development)!;
        expect(second.activeKeyId).toBe(first.activeKeyId);
        expect(second.open(sealed, { connectorId: 1, name: 'token' })).toBe('dev-secret');
        expect(() => secretBoxFromConfig({ ...development, production: true, secrets: { ...development.secrets, keyFile: path.join(folder, 'production.secret-key') } })).toThrow(ConfigError);
        expect(fs.existsSync(path.join(folder, 'production.secret-key'))).toBe(false);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('secrets outside the running hub', () => {
  let folder: string;
  let dataSource: DataSource;
  let environment: Record<string, string>;

  beforeAll(async () => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-secrets-'));
    const sqliteFile = path.join(folder, 'hub.sqlite');
    const config = onServerDatabase() ? testDatabaseConfig() : { kind: 'sqlite' as const, location: sqliteFile, poolSize: 1 };
    dataSource = createDataSource(config);
    await dataSource.initialize();
    if (onServerDatabase()) await dataSource.dropDatabase();
    await migrate(dataSource);
    await dataSource.getRepository(Department).insert({ code: 'SO_YT', name: 'Department of Health', nameVi: 'Sở Y tế', validFrom: null, validTo: null, basis: FactBasis.SOURCE });
    environment = databaseEnvironment(sqliteFile);
  });
  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  /** The SQLite file and its WAL byte by byte, or what mariadb-dump writes for the server database. */
  function databaseDump(): string {
    if (!onServerDatabase()) {
      return ['hub.sqlite', 'hub.sqlite-wal']
        .map((name) => path.join(folder, name))
        .filter((file) => fs.existsSync(file))
        .map((file) => fs.readFileSync(file).toString('latin1'))
        .join('');
    }
    const url = new URL(testDatabaseConfig().location);
    const dump = spawnSync(
      'mariadb-dump',
      ['--host', url.hostname, '--port', url.port || '3306', '--user', decodeURIComponent(url.username), '--skip-ssl', url.pathname.slice(1)],
      { encoding: 'utf8', env: { ...process.env, MYSQL_PWD: decodeURIComponent(url.password) }, maxBuffer: 256 * 1024 * 1024 },
    );
    if (dump.status !== 0) throw new Error(`mariadb-dump failed: ${dump.stderr}`);
    return dump.stdout;
  }

  it('leaves no plaintext in a dump of the database once sealed (the SQLite file and WAL; mariadb-dump)', async () => {
    const connectorId = await addConnector(dataSource, 'File check');
    await dataSource.getRepository(ConnectorSecret).insert({ connectorId, name: 'token', legacyPlaintext: 'plain-in-file-173205', ciphertext: null, iv: null, tag: null, keyId: null });
    expect(databaseDump()).toContain('plain-in-file-173205');
    await sealPlaintextSecrets(dataSource, new SecretBox([testKey]));
    expect(databaseDump()).not.toContain('plain-in-file-173205');
    await dataSource.getRepository(ConnectorSecret).delete({ connectorId });
  });

  it('pilothub-admin rotate-secrets (compiled) re-encrypts under the active key, reports counts, and fails cleanly on an unknown key', async () => {
    const connectorId = await addConnector(dataSource, 'CLI rotation');
    const old = generateSecretKey('old');
    const next = generateSecretKey('new');
    const repository = dataSource.getRepository(ConnectorSecret);
    for (const name of ['token', 'password']) {
      await repository.insert({ connectorId, name, legacyPlaintext: null, ...new SecretBox([old]).seal(`cli-${name}-value`, { connectorId, name }) });
    }
    const build = compiledBuild();
    const cli = (keys: string) => build.admin(['rotate-secrets'], commandEnvironment({ ...environment, SECRETS_KEYS: keys, SECRETS_ACTIVE_KEY_ID: '', LOG_LEVEL: 'silent' }));
    const unknown = cli(formatSecretKeys([next]));
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('rotate-secrets failed: nothing was changed: 2 secret(s) cannot be decrypted with the configured keys (new)');
    expect(new Set((await repository.findBy({ connectorId })).map((row) => row.keyId))).toEqual(new Set(['old']));

    const rotated = cli(formatSecretKeys([next, old]));
    expect(rotated.stderr).toBe('');
    expect(rotated.stdout.trim()).toBe('2 connector secret(s): 2 re-encrypted under key "new", 0 stored in the clear encrypted, 0 already under it');
    expect(rotated.status).toBe(0);
    const store = new ConnectorSecretStore(dataSource, new SecretBox([next]));
    expect(await store.read(connectorId)).toEqual({ password: 'cli-password-value', token: 'cli-token-value' });
    expect(cli(formatSecretKeys([next, old])).stdout.trim()).toBe('2 connector secret(s): 0 re-encrypted under key "new", 0 stored in the clear encrypted, 2 already under it');

    // A production hub on this database: refuses to start without SECRETS_KEYS, starts with the key.
    const production = { ...environment, NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', SEED_ON_START: 'never', PILOTHUB_DEMO: 'false' };
    const keyless = startHubProcess({ ...production, SECRETS_KEYS: '' });
    expect(await keyless.exited).toBe(1);
    expect(keyless.stderr()).toContain('PilotHub cannot start: invalid configuration: SECRETS_KEYS is required with NODE_ENV=production');
    const keyed = startHubProcess({ ...production, SECRETS_KEYS: formatSecretKeys([next]) });
    await waitForUrl(keyed);
    keyed.child.kill('SIGTERM');
    expect(await keyed.exited).toBe(0);
  }, 180_000);
});
