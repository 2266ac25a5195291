/**
 * The `pilothub` CLI run as a child process (bin/pilothub.js, as `npm run pilothub` runs it) against a hub on a
 * real port: connectors as code (plan, apply, dry run, re-apply, bad manifests, export), a backfill's progress in a
 * pseudo-terminal and in a pipe, a 100,000-row push in chunks, and the day-to-day commands.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startFeedSimulator, type FeedSimulator } from '../../src/feeds/simulator';
import { dataOf } from '../helpers/api';
import { startTestHub, TEST_ADMIN_KEY, type TestHub } from '../helpers/test-hub';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'pilothub.js');

/** Hosts the manifest examples of docs/cli.md name. */
const DOCUMENTED_HOSTS = ['yte.nghean.gov.vn', 'tuphap.nghean.gov.vn', 'db.motcua.nghean.gov.vn:3306', 'dhis2.nhcsxh.nghean.gov.vn', 'gtvt.nghean.gov.vn'];

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('pilothub CLI', () => {
  let hub: TestHub;
  let feeds: FeedSimulator;
  let folder: string;
  let environment: NodeJS.ProcessEnv;

  /** Runs `pilothub <args>` (asynchronously: the hub answers from this process). */
  function cli(args: readonly string[], extra: NodeJS.ProcessEnv = {}): Promise<Result> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...environment, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** Runs `pilothub <args>` in a pseudo-terminal (util-linux `script`): stdout and stderr are a TTY. */
  function cliInTerminal(args: readonly string[]): Promise<Result> {
    const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
    const command = [process.execPath, BIN, ...args].map(quote).join(' ');
    return new Promise((resolve, reject) => {
      const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env: { ...environment, COLUMNS: '160' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr: '' }));
    });
  }

  /** Fails with what the command said unless it exited 0. */
  const succeeded = (result: Result): void => {
    if (result.code !== 0) throw new Error(`pilothub exited ${result.code}: ${result.stderr}${result.stdout}`);
  };
  const json = <T>(result: Result): T => {
    succeeded(result);
    return JSON.parse(result.stdout) as T;
  };

  function write(file: string, text: string): string {
    const target = path.join(folder, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
    return target;
  }

  const healthManifest = (lookbackDays: number) => `apiVersion: pilothub/v1
kind: Connector
metadata:
  name: Sở Y tế — biometric visits
  department: SO_YT
spec:
  kind: http-json
  schedule: "0 17 * * *"
  timeZone: Asia/Ho_Chi_Minh
  lookbackDays: ${lookbackDays}
  maxWindowDays: 1
  config:
    url: ${feeds.url}/health/biometric-visits
    query: { from: "{{from}}", to: "{{to}}" }
    recordsPath: data
  mapping:
    metric: { constant: KCB_BIOMETRIC_VISITS }
    unit: { field: communeCode }
    period: { field: date, transform: dateToPeriod }
    value: { field: visits }
  secrets:
    token: { fromEnv: SO_YT_TOKEN }
`;
  const pushManifest = `apiVersion: pilothub/v1
kind: Connector
metadata: { name: Sở Y tế — pushed visits, department: SO_YT }
spec:
  kind: push
  config: { maxRowsPerPush: 7000 }
`;

  const connectorsNamed = async (name: string) =>
    (await dataOf<{ connectors: { edges: Array<{ node: { id: string; version: number; mappingVersion: number; lookbackDays: number; secretNames: string[] } }> } }>(
      hub,
      '{ connectors(first: 100) { edges { node { id name version mappingVersion lookbackDays secretNames } } } }',
    )).connectors.edges.map((edge) => edge.node).filter((node) => (node as unknown as { name: string }).name === name);

  beforeAll(async () => {
    feeds = await startFeedSimulator({ port: 0 });
    hub = await startTestHub({ allowServers: [feeds.url] });
    // The hosts of the manifests in docs/cli.md, so the test below checks them as the hub would.
    for (const pattern of DOCUMENTED_HOSTS) {
      await dataOf(hub, 'mutation($input: OutboundHostInput!) { addOutboundHost(input: $input) { id } }', { input: { pattern, note: 'docs/cli.md' } });
    }
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-cli-'));
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PILOTHUB_') && name !== 'JEST_WORKER_ID'));
    environment = { ...inherited, PILOTHUB_URL: `http://127.0.0.1:${hub.hub.port}`, PILOTHUB_KEY: TEST_ADMIN_KEY, PILOTHUB_CONFIG: path.join(folder, 'config.json'), SO_YT_TOKEN: 'secret-token-1' };
  });
  afterAll(async () => {
    await hub?.close();
    await feeds?.close();
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });

  it('plans, dry-runs, applies and re-applies a folder of manifests; an update that leaves the mapping alone makes no mapping version', async () => {
    write('manifests/health.yaml', healthManifest(3));
    write('manifests/push.yml', pushManifest);
    const target = path.join(folder, 'manifests');

    const dry = json<Array<{ name: string; action: string }>>(await cli(['connectors', 'apply', '-f', target, '--dry-run', '-o', 'json']));
    expect(dry.map(({ name, action }) => ({ name, action }))).toEqual([
      { name: 'Sở Y tế — biometric visits', action: 'created' },
      { name: 'Sở Y tế — pushed visits', action: 'created' },
    ]);
    expect(await connectorsNamed('Sở Y tế — biometric visits')).toEqual([]);

    const applied = await cli(['connectors', 'apply', '-f', target]);
    succeeded(applied);
    expect(applied.stdout).toContain('+ SO_YT / Sở Y tế — biometric visits  (http-json) — tạo mới / created');
    const [health] = await connectorsNamed('Sở Y tế — biometric visits');
    expect(health).toMatchObject({ version: 1, mappingVersion: 1, lookbackDays: 3, secretNames: ['token'] });

    const again = json<Array<{ name: string; action: string; changes: unknown[] }>>(await cli(['connectors', 'apply', '-f', target, '-o', 'json']));
    expect(again.map(({ action, changes }) => ({ action, changes }))).toEqual([
      { action: 'unchanged', changes: [] },
      { action: 'unchanged', changes: [] },
    ]);
    expect(await connectorsNamed('Sở Y tế — biometric visits')).toEqual([health]);

    write('manifests/health.yaml', healthManifest(5));
    const planned = json<Array<{ action: string; changes: unknown[] }>>(await cli(['connectors', 'apply', '-f', target, '--dry-run', '-o', 'json']));
    expect(planned[0]).toMatchObject({ action: 'updated', changes: [{ field: 'spec.lookbackDays', from: 3, to: 5 }] });
    expect(await connectorsNamed('Sở Y tế — biometric visits')).toEqual([health]);
    const updated = json<Array<{ action: string }>>(await cli(['connectors', 'apply', '-f', target, '-o', 'json']));
    expect(updated.map((entry) => entry.action)).toEqual(['updated', 'unchanged']);
    expect(await connectorsNamed('Sở Y tế — biometric visits')).toEqual([{ ...health, version: 2, lookbackDays: 5 }]);
    const { connector } = await dataOf<{ connector: { databaseId: number } }>(hub, `{ connector(id: "${health.id}") { databaseId } }`);
    const versions = await hub.dataSource.query('SELECT COUNT(*) AS n FROM connector_mapping_version WHERE connectorId = ?', [connector.databaseId]);
    expect(Number(versions[0].n)).toBe(1);
  }, 120_000);

  it('refuses a set with a bad manifest before applying any, naming file:line and the field path', async () => {
    const good = write('bad-set/a-good.yaml', pushManifest.replace('pushed visits', 'another push'));
    const bad = write(
      'bad-set/b-bad.yaml',
      healthManifest(3).replace('Sở Y tế — biometric visits', 'Sở Y tế — bad url').replace(`url: ${feeds.url}/health/biometric-visits`, 'url: not-a-url'),
    );
    const result = await cli(['connectors', 'apply', '-f', path.dirname(good)]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`${bad}:13: spec.config.url:`);
    expect(await connectorsNamed('Sở Y tế — another push')).toEqual([]);

    // Shape problems, and a secret whose variable is not set, are all listed at once.
    const shapes = write('shapes.yaml', healthManifest(3).replace('apiVersion: pilothub/v1', 'apiVersion: pilothub/v2').replace('  lookbackDays: 3', '  lookbackDays: 3\n  retries: 2'));
    const problems = await cli(['connectors', 'apply', '-f', shapes, '--dry-run']);
    expect(problems.code).toBe(1);
    expect(problems.stderr).toContain(`${shapes}:1: apiVersion:`);
    expect(problems.stderr).toContain(`${shapes}:11: spec.retries:`);
    const unset = write('unset.yaml', healthManifest(3).replace('Sở Y tế — biometric visits', 'Sở Y tế — no token'));
    const missing = await cli(['connectors', 'apply', '-f', unset], { SO_YT_TOKEN: '' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`${unset}:22: spec.secrets.token.fromEnv: biến môi trường SO_YT_TOKEN chưa được đặt`);
    expect(await connectorsNamed('Sở Y tế — no token')).toEqual([]);
  }, 120_000);

  it('exports the registered connectors as manifests that re-apply unchanged; the JSON Schema is public', async () => {
    const exported = await cli(['connectors', 'export', '--department', 'SO_YT']);
    succeeded(exported);
    const documents = parseAllDocuments(exported.stdout).map((document) => document.toJS() as { metadata: { name: string }; spec: { secrets?: unknown } });
    expect(documents.map((document) => document.metadata.name).sort()).toEqual(['Sở Y tế — biometric visits', 'Sở Y tế — pushed visits']);
    expect(exported.stdout).not.toContain('secret-token-1');
    expect(documents.find((document) => document.metadata.name === 'Sở Y tế — biometric visits')!.spec.secrets).toEqual({ token: { fromEnv: 'SO_YT_SO_Y_TE_BIOMETRIC_VISITS_TOKEN' } });
    const file = write('exported.yaml', exported.stdout);
    const replanned = json<Array<{ action: string }>>(await cli(['connectors', 'apply', '-f', file, '--dry-run', '-o', 'json']));
    expect(replanned.map((entry) => entry.action)).toEqual(['unchanged', 'unchanged']);

    const response = await fetch(`http://127.0.0.1:${hub.hub.port}/schemas/connector-manifest.json`);
    expect(response.status).toBe(200);
    const schema = (await response.json()) as { properties: { spec: { allOf: Array<{ if: { properties: { kind: { const: string } } }; then: { properties: { config: { required?: string[] } } } }> } } };
    const byKind = Object.fromEntries(schema.properties.spec.allOf.map((entry) => [entry.if.properties.kind.const, entry.then.properties.config]));
    expect(Object.keys(byKind).sort()).toEqual(['csv', 'dhis2', 'http-json', 'push', 'sql']);
    expect(byKind['http-json'].required).toContain('url');
    const printed = await cli(['schema']);
    expect(JSON.parse(printed.stdout)).toEqual(schema);
  }, 120_000);

  it('a backfill shows a progress bar in a terminal, plain lines in a pipe, and its summary', async () => {
    const inPipe = await cli(['connectors', 'run', 'Sở Y tế — biometric visits', '--from', '2025-03-01', '--to', '2025-03-10', '--poll', '100']);
    succeeded(inPipe);
    expect(inPipe.stderr).toMatch(/dòng đọc \/ rows fetched, [\d.]+ lô \/ batches/);
    expect(inPipe.stderr).not.toContain('\u001b[');
    expect(inPipe.stdout).toContain('Trạng thái / Status');
    expect(inPipe.stdout).toMatch(/Dòng đọc \/ Fetched\s+4\.600\n/);

    const inTerminal = await cliInTerminal(['connectors', 'run', 'Sở Y tế — biometric visits', '--from', '2025-04-01', '--to', '2025-04-10', '--poll', '100']);
    succeeded(inTerminal);
    expect(inTerminal.stdout).toMatch(/[█░]+ [\d.]+ dòng đọc \/ rows fetched \| [\d.]+ lô \/ batches/);
    expect(inTerminal.stdout).toMatch(/Dòng đọc \/ Fetched\s+4\.600/);

    const runs = json<Array<{ trigger: string; status: string; batches: number; summary: { fetched: number } }>>(await cli(['runs', 'Sở Y tế — biometric visits', '-o', 'json']));
    expect(runs.slice(0, 2).map((run) => [run.trigger, run.status, run.summary.fetched])).toEqual([
      ['BACKFILL', 'SUCCEEDED', 4600],
      ['BACKFILL', 'SUCCEEDED', 4600],
    ]);
    // The batches the runs committed, as the summaries printed them (the newest run is the terminal's).
    expect(runs[0].batches).toBeGreaterThan(0);
    expect(inTerminal.stdout).toMatch(new RegExp(`Lô / Batches\\s+${runs[0].batches}\\b`));
    expect(inPipe.stdout).toMatch(new RegExp(`Lô / Batches\\s+${runs[1].batches}\\b`));
  }, 120_000);

  it('pushes a 100,000-row CSV in chunks below maxRowsPerPush, with one summary; rejections list reason, row and raw', async () => {
    const lines = ['metric,unit,period,value'];
    for (const [from, to] of [['2024-01-01', '2024-03-31'], ['2024-04-01', '2024-06-30'], ['2024-07-01', '2024-09-30']]) {
      const body = (await (await fetch(`${feeds.url}/health/biometric-visits?from=${from}&to=${to}`)).json()) as { data: Array<{ communeCode: string; date: string; visits: number }> };
      for (const record of body.data) lines.push(`KCB_BIOMETRIC_VISITS,${record.communeCode},${record.date},${record.visits}`);
    }
    expect(lines.length).toBeGreaterThan(100_001);
    const file = write('visits.csv', `${lines.slice(0, 100_001).join('\n')}\n`);
    const pushed = json<{ rows: number; chunks: number; runs: string[]; summary: Record<string, number> }>(
      await cli(['push', 'Sở Y tế — pushed visits', file, '-o', 'json']),
    );
    expect({ rows: pushed.rows, chunks: pushed.chunks, runs: pushed.runs.length, summary: pushed.summary }).toEqual({
      rows: 100_000,
      chunks: 15,
      runs: 15,
      summary: { fetched: 100_000, imported: 100_000, updated: 0, unchanged: 0, rejected: 0 },
    });

    const bad = write('bad.json', JSON.stringify([{ metric: 'KCB_BIOMETRIC_VISITS', unit: '16681', period: '2024-01-02', value: 5 }, { metric: 'NO_SUCH_METRIC', unit: '16681', period: '2024-01-02', value: 1 }]));
    const partial = json<{ runs: string[]; summary: { rejected: number }; rejections: Array<{ row: number; reason: string }> }>(await cli(['push', 'Sở Y tế — pushed visits', bad, '-o', 'json']));
    expect(partial.rejections.map(({ row, reason }) => ({ row, reason }))).toEqual([{ row: 2, reason: 'UNKNOWN_METRIC' }]);
    const rejections = await cli(['rejections', partial.runs[0]]);
    succeeded(rejections);
    expect(rejections.stdout).toMatch(/^2\s+UNKNOWN_METRIC\s+.*"NO_SUCH_METRIC"/m);
  }, 180_000);

  it('the manifest of each kind in docs/cli.md is one the hub accepts (checked by a dry run)', async () => {
    const text = fs.readFileSync(path.join(ROOT, 'docs', 'cli.md'), 'utf8');
    const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]);
    const files = blocks.map((block, index) => write(`documented/${index}.yaml`, block));
    const planned = json<Array<{ kind: string; action: string }>>(
      await cli(['connectors', 'apply', '-f', path.join(folder, 'documented'), '--dry-run', '-o', 'json'], {
        SO_YT_TOKEN: 'x',
        SO_TP_MOTCUA_PASSWORD: 'x',
        NHCSXH_DHIS2_TOKEN: 'x',
      }),
    );
    expect(files.length).toBe(6);
    expect(planned.map((entry) => entry.kind).sort()).toEqual(['csv', 'dhis2', 'http-json', 'http-json', 'push', 'sql']);
  }, 120_000);

  it('day-to-day commands: login profiles (0600), list, describe, disable/enable, keys, delete; failures exit non-zero', async () => {
    const login = await cli(['login', '--url', `http://127.0.0.1:${hub.hub.port}`, '--key', TEST_ADMIN_KEY, '--name', 'local'], { PILOTHUB_URL: '', PILOTHUB_KEY: '' });
    succeeded(login);
    expect(fs.statSync(path.join(folder, 'config.json')).mode & 0o777).toBe(0o600);
    const listed = json<Array<{ name: string; kind: string; enabled: boolean }>>(await cli(['connectors', 'list', '-o', 'json'], { PILOTHUB_URL: '', PILOTHUB_KEY: '' }));
    expect(listed.map((connector) => connector.name)).toContain('Sở Y tế — pushed visits');

    const table = await cli(['connectors', 'list', '--department', 'SO_YT']);
    expect(table.stdout.split('\n')[0]).toMatch(/^Mã \/ Id\s+Tên \/ Name\s+Sở \/ Department/);
    const described = json<{ name: string; secretNames: string[] }>(await cli(['connectors', 'describe', 'Sở Y tế — biometric visits', '-o', 'json']));
    expect(described.secretNames).toEqual(['token']);
    expect(json<{ enabled: boolean }>(await cli(['connectors', 'disable', 'Sở Y tế — pushed visits', '-o', 'json'])).enabled).toBe(false);
    expect(json<{ enabled: boolean }>(await cli(['connectors', 'enable', 'Sở Y tế — pushed visits', '-o', 'json'])).enabled).toBe(true);

    const created = json<{ key: string; apiKey: { id: string; role: string } }>(await cli(['keys', 'create', '--name', 'cli test', '--role', 'DEPARTMENT_IT', '--departments', 'SO_YT', '-o', 'json']));
    expect(created.apiKey.role).toBe('DEPARTMENT_IT');
    const keys = json<Array<{ id: string; departments: string[] }>>(await cli(['keys', 'list', '-o', 'json']));
    expect(keys.find((key) => key.id === created.apiKey.id)?.departments).toEqual(['SO_YT']);
    expect(json<{ active: boolean }>(await cli(['keys', 'revoke', created.apiKey.id, '-o', 'json'])).active).toBe(false);

    expect((await cli(['connectors', 'delete', 'Sở Y tế — pushed visits'])).code).toBe(1);
    expect(json<{ deleted: boolean }>(await cli(['connectors', 'delete', 'Sở Y tế — pushed visits', '--yes', '-o', 'json'])).deleted).toBe(true);
    const unknown = await cli(['connectors', 'describe', 'Sở Y tế — pushed visits']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Không tìm thấy bộ kết nối');
    const unreachable = await cli(['connectors', 'list'], { PILOTHUB_URL: 'http://127.0.0.1:1' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('Không kết nối được tới hub');
    expect((await cli(['connectors', 'run', '--help'])).code).toBe(0);

    const csv = await cli(['export', 'series', '--metrics', 'KCB_BIOMETRIC_VISITS', '--from', '2025-03', '--to', '2025-03', '--granularity', 'MONTH']);
    succeeded(csv);
    const [header, ...rows] = csv.stdout.trim().split('\n');
    expect(header).toContain('period');
    expect(rows.length).toBeGreaterThan(0);
    const refused = await cli(['export', 'series', '--metrics', 'NO_SUCH_METRIC', '--from', '2025-03', '--to', '2025-03', '--granularity', 'MONTH']);
    expect(refused.code).toBe(1);
  }, 120_000);
});
