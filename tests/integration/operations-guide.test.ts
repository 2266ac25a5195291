/**
 * The operations guide's production path, followed as written on the compiled build (what the image holds) against
 * the server database: build, the compiled migrate and seed, two instances started together, a rolling restart,
 * readiness throughout. Each command run here must appear word for word in docs/operations.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandEnvironment, compiledBuild, compiledHub, type CompiledBuild } from '../helpers/compiled-build';
import { emptyDatabase, postGraphQL, startHubProcess, waitForUrl, type HubProcess } from '../helpers/hub-process';
import { TEST_SECRETS_KEYS } from '../helpers/outbound';
import { onServerDatabase } from '../helpers/test-database';

jest.setTimeout(300_000);

const GUIDE = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'operations.md'), 'utf8');

async function readiness(url: string): Promise<{ status: number; body: { status?: string } }> {
  const response = await fetch(url.replace('/graphql', '/readyz'));
  return { status: response.status, body: (await response.json()) as { status?: string } };
}

async function waitForReady(url: string, timeoutMs = 60_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 200))) {
    if ((await readiness(url)).status === 200) return;
  }
  throw new Error(`${url} did not become ready`);
}

// The guide's path is the server database's (several instances share it); the embedded database serves one process.
const onServer = onServerDatabase() ? describe : describe.skip;

onServer('the operations guide, followed on the compiled build', () => {
  let build: CompiledBuild;
  let folder: string;
  const started: HubProcess[] = [];

  beforeAll(async () => {
    build = compiledBuild();
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-guide-'));
  });
  afterAll(async () => {
    for (const hub of started) if (hub.child.exitCode === null && hub.child.signalCode === null) hub.child.kill('SIGKILL');
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('migrate, seed, two instances at once, a rolling restart: always one instance ready, nothing lost', async () => {
    for (const command of ['npm ci && npm run build', 'pilothub-admin migrate', 'pilothub-admin seed', '/readyz']) expect(GUIDE).toContain(command);
    const { environment } = await emptyDatabase(folder, 'guide');
    const production = { ...environment, NODE_ENV: 'production', SECRETS_KEYS: TEST_SECRETS_KEYS };

    // 3. Migrate (a step of its own, before the rollout), then 4. reference data.
    const migrated = build.admin(['migrate'], commandEnvironment(production));
    expect({ status: migrated.status, stderr: migrated.stderr }).toEqual({ status: 0, stderr: '' });
    expect(migrated.stdout).toMatch(/^applied: /);
    const seeded = build.admin(['seed'], commandEnvironment(production));
    expect({ status: seeded.status, stderr: seeded.stderr }).toEqual({ status: 0, stderr: '' });
    expect(seeded.stdout).toContain('reference data only');

    // 5./6. Two instances started at the same moment on the migrated database.
    const instance = () => {
      const hub = startHubProcess({ ...production, SEED_ON_START: 'never', PORT: '0', HOST: '127.0.0.1', SHUTDOWN_DELAY_SECONDS: '1', LOG_FORMAT: 'json' }, { compiled: compiledHub(build) });
      started.push(hub);
      return hub;
    };
    const [first, second] = [instance(), instance()];
    const [firstUrl, secondUrl] = await Promise.all([waitForUrl(first), waitForUrl(second)]);
    await Promise.all([waitForReady(firstUrl), waitForReady(secondUrl)]);
    const count = async (url: string) =>
      (await postGraphQL<{ pilotModels: { totalCount: number } }>(url, '{ pilotModels { totalCount } }')).pilotModels.totalCount;
    expect(await count(firstUrl)).toBe(38);
    expect(await count(secondUrl)).toBe(38);

    // 7. A rolling restart: stop one instance (SIGTERM), the other keeps serving; start its replacement.
    first.child.kill('SIGTERM');
    expect((await readiness(firstUrl)).status).toBe(503);
    expect(await count(secondUrl)).toBe(38);
    expect(await first.exited).toBe(0);
    const replacement = instance();
    const replacementUrl = await waitForUrl(replacement);
    await waitForReady(replacementUrl);
    expect(await count(replacementUrl)).toBe(38);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect((await readiness(replacementUrl)).status).toBe(200);

    // Upgrading again with nothing new: migrate is a no-op.
    expect(build.admin(['migrate'], commandEnvironment(production)).stdout.trim()).toBe('database is up to date');
    replacement.child.kill('SIGTERM');
    expect(await replacement.exited).toBe(0);
  });

  it('refuses a NODE_ENV it does not know, and lets two instances started together on an empty database migrate it once', async () => {
    const { environment } = await emptyDatabase(folder, 'together');
    const mistyped = startHubProcess({ ...environment, NODE_ENV: 'prod', LOG_FORMAT: 'pretty', PORT: '0' }, { compiled: compiledHub(build) });
    started.push(mistyped);
    expect(await mistyped.exited).toBe(1);
    expect(mistyped.stderr()).toContain('NODE_ENV: must be development, test or production, not "prod"');

    const together = [0, 1].map(() => {
      const hub = startHubProcess(
        { ...environment, NODE_ENV: 'production', SECRETS_KEYS: TEST_SECRETS_KEYS, SEED_ON_START: 'always', PORT: '0', HOST: '127.0.0.1', SHUTDOWN_DELAY_SECONDS: '0' },
        { compiled: compiledHub(build) },
      );
      started.push(hub);
      return hub;
    });
    const urls = await Promise.all(together.map((hub) => waitForUrl(hub)));
    await Promise.all(urls.map((url) => waitForReady(url)));
    const migrations = build.admin(['migrate'], commandEnvironment({ ...environment, NODE_ENV: 'production', SECRETS_KEYS: TEST_SECRETS_KEYS }));
    expect(migrations.stdout.trim()).toBe('database is up to date');
    for (const hub of together) {
      hub.child.kill('SIGTERM');
      expect(await hub.exited).toBe(0);
    }
  });
});
