/**
 * The web console in headless Chromium, on a seeded hub over a real port, through the journeys of each role:
 * sign in, read the overview, open a model, read the scorecards and the report (downloads), follow a backfill to
 * its end and read its rejections, register a connector from its kind's generated form and preview what its source
 * (one that requires a token, typed in the form) would bring, explore metrics and export a CSV, run the same query in GraphiQL, be signed out
 * when the key is revoked. Every request of every journey must go to the hub (others are aborted and fail the
 * test), no page may break its Content-Security-Policy, and axe-core finds no serious or critical violation on
 * any page. A screenshot per journey goes to tests/browser/screenshots/.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { demoConnectors } from '../../src/demo/demo-connectors';
import { startFeedSimulator, type FeedSimulator } from '../../src/feeds/simulator';
import { dataOf } from '../helpers/api';
import { signToken, TEST_JWT } from '../helpers/auth';
import { launchBrowser } from '../helpers/browser';
import { consoleScripts, ensureConsoleBuilt, openConsole, screenshot, seriousViolations, signIn, type ConsoleSession } from '../helpers/console-pages';
import { QUIET_BACKGROUND, startTestHub, TEST_ADMIN_KEY, type TestHub } from '../helpers/test-hub';

/** The overview's JavaScript budget (gzip): GraphiQL and its editor are on their own page. */
const OVERVIEW_BUDGET_BYTES = 300 * 1024;
/** The token the health department's guarded source requires, typed in the registration form. */
const SOURCE_TOKEN = 'console-source-token-5b7e';
/** The token the edit journey rotates to; the source accepts it too. */
const ROTATED_TOKEN = 'console-edit-token-1';

describe('web console', () => {
  let feeds: FeedSimulator;
  /** The feed simulator behind a source that answers 401 to a request without one of its Bearer tokens. */
  let guarded: http.Server;
  let guardedUrl: string;
  let hub: TestHub;
  let browser: Browser;
  let origin: string;
  const keys: Record<string, string> = {};
  const sessions: ConsoleSession[] = [];

  async function createKey(role: string, departmentCodes?: string[]): Promise<{ id: string; key: string }> {
    const data = await dataOf<{ createApiKey: { key: string; apiKey: { id: string } } }>(
      hub,
      'mutation($input: ApiKeyInput!) { createApiKey(input: $input) { key apiKey { id } } }',
      { input: { name: `console ${role} ${Object.keys(keys).length}`, role, departmentCodes } },
    );
    return { id: data.createApiKey.apiKey.id, key: data.createApiKey.key };
  }

  async function session(): Promise<Page> {
    const opened = await openConsole(browser, origin);
    sessions.push(opened);
    return opened.page;
  }

  /** No serious or critical axe-core violation, and the page never scrolls sideways (wide tables scroll in their own box). */
  async function expectAccessible(page: Page): Promise<void> {
    expect(await seriousViolations(page)).toEqual([]);
    const [scrollWidth, innerWidth] = (await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as [number, number];
    expect({ url: page.url(), scrollWidth, innerWidth, sideways: scrollWidth > innerWidth }).toEqual({ url: page.url(), scrollWidth, innerWidth, sideways: false });
  }

  beforeAll(async () => {
    ensureConsoleBuilt();
    feeds = await startFeedSimulator({ port: 0 });
    guarded = http.createServer((request, response) => {
      if (![`Bearer ${SOURCE_TOKEN}`, `Bearer ${ROTATED_TOKEN}`].includes(request.headers.authorization ?? '')) {
        response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"a valid Bearer token is required"}');
        return;
      }
      void fetch(`${feeds.url}${request.url}`).then(
        async (answer) => response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await answer.arrayBuffer())),
        () => response.writeHead(502).end(),
      );
    });
    await new Promise<void>((resolve) => guarded.listen(0, '127.0.0.1', resolve));
    guardedUrl = `http://127.0.0.1:${(guarded.address() as AddressInfo).port}`;
    // The journeys follow runs to their end, not the hub's timeouts: the tests' 1.5 s per source request failed a
    // backfill of the feed simulator on a loaded machine.
    hub = await startTestHub({ allowServers: [feeds.url, guardedUrl], allowServersFor: ['SO_YT'], environment: { ...QUIET_BACKGROUND, CONNECTOR_TIMEOUT_SECONDS: '30' } });
    origin = hub.hub.url.replace(/\/graphql$/, '');
    // The health department's demo connector (its host is allowed to SO_YT's connectors).
    const health = demoConnectors(feeds.url).find((definition) => definition.department === 'SO_YT');
    await dataOf(hub, 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }', { input: health });
    // The health feed sends some rows the mapping must reject.
    await fetch(`${feeds.url}/_faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ feed: 'health', mode: 'badrows' }) });
    keys.ADMIN = TEST_ADMIN_KEY;
    keys.ANALYST = (await createKey('ANALYST')).key;
    keys.DEPARTMENT_IT = (await createKey('DEPARTMENT_IT', ['SO_YT'])).key;
    keys.VIEWER = (await createKey('VIEWER')).key;
    browser = await launchBrowser();
  }, 400_000);

  afterEach(async () => {
    // No journey may reach another origin or break the pages' CSP.
    for (const opened of sessions.splice(0)) {
      await opened.context.close();
      expect({ outside: opened.outside, problems: opened.problems }).toEqual({ outside: [], problems: [] });
    }
  });

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    await feeds?.close();
    await new Promise((resolve) => guarded?.close(resolve));
  });

  it('keeps the overview within its JavaScript budget, GraphiQL and Monaco on their own page', () => {
    const scripts = consoleScripts();
    const total = scripts.reduce((sum, script) => sum + script.gzipBytes, 0);
    fs.mkdirSync('tests/browser/screenshots', { recursive: true });
    fs.writeFileSync('tests/browser/screenshots/bundle-sizes.json', JSON.stringify({ overview: scripts, overviewGzipBytes: total, graphiql: consoleScripts('graphiql.html') }, null, 2));
    expect(total).toBeLessThanOrEqual(OVERVIEW_BUDGET_BYTES);
    expect(scripts.map((script) => script.file).join(' ')).not.toMatch(/monaco|graphiql|worker/i);
  });

  it('programme office: signs in, reads the overview and a pilot model page', async () => {
    const page = await session();
    await signIn(page, origin, keys.ADMIN);
    await page.getByRole('heading', { level: 1, name: 'Tổng quan' }).waitFor();
    const models = page.getByRole('region', { name: 'Mô hình thí điểm' }).first();
    await models.getByText('Hoàn thành').waitFor();
    expect(await models.locator('dd').allTextContents()).toEqual(['38', '6', '20', '12', expect.stringMatching(/^\d+$/)]);
    // Overdue items with department, person and days late; every model with code and name; every department's freshness.
    await page.getByRole('table', { name: 'Việc quá hạn' }).waitFor();
    expect(await page.locator('#models-heading + .scroll tbody tr').count()).toBe(38);
    expect(await page.locator('#freshness-heading + .scroll tbody tr').count()).toBeGreaterThan(5);
    const rendered = await page.evaluate(() => performance.getEntriesByName('pilothub:overview-after-sign-in')[0]?.duration ?? null);
    expect(rendered).not.toBeNull();
    fs.mkdirSync('tests/browser/screenshots', { recursive: true });
    fs.writeFileSync('tests/browser/screenshots/overview-render-ms.txt', `${Math.round(rendered ?? -1)}\n`);
    await expectAccessible(page);
    await screenshot(page, 'overview');

    await page.getByRole('link', { name: 'M03', exact: true }).first().click();
    await page.getByRole('heading', { level: 1, name: /^M03 — / }).waitFor();
    await page.getByRole('heading', { name: 'Lịch sử trạng thái' }).waitFor();
    await page.getByRole('heading', { name: /Biểu đồ theo thời gian/ }).waitFor();
    await page.locator('.chart canvas, #chart-heading ~ p').first().waitFor();
    expect(await page.locator('#metrics-heading + .scroll tbody tr').count()).toBeGreaterThan(0);
    await expectAccessible(page);
    await screenshot(page, 'pilot-model');

    // English beside Vietnamese; dates read 31/03/2024 in both (numbers: the explorer's journey).
    const dates = async (caption: string) => {
      const cells = page.getByRole('table', { name: caption }).locator('tbody td');
      await cells.first().waitFor();
      return (await cells.allTextContents()).filter((text) => /\d{4}/.test(text));
    };
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const englishDates = await dates('Overdue items');
    expect(englishDates.length).toBeGreaterThan(0);
    expect(englishDates.every((text) => /^\d{2}\/\d{2}\/\d{4}$/.test(text))).toBe(true);
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Tiếng Việt' }).click();
    await page.getByRole('heading', { level: 1, name: 'Tổng quan' }).waitFor();
    expect(await dates('Việc quá hạn')).toEqual(englishDates);
  });

  it('programme office: department scorecards and the progress report, downloaded as Markdown and CSV', async () => {
    const page = await session();
    await signIn(page, origin, keys.ADMIN);
    await page.getByRole('link', { name: 'Đánh giá đơn vị' }).click();
    await page.getByRole('heading', { level: 1, name: 'Bảng đánh giá các đơn vị' }).waitFor();
    await page.locator('tbody tr').first().waitFor();
    await expectAccessible(page);
    await screenshot(page, 'scorecards');

    await page.getByRole('link', { name: 'Báo cáo tiến độ' }).click();
    await page.getByLabel(/Kỳ báo cáo/).fill('2024-Q1');
    await page.getByRole('button', { name: 'Xem' }).click();
    await page.getByText('Kỳ 2024-Q1').waitFor();
    await expectAccessible(page);
    // In the console's language: Vietnamese headings and responsible persons' titles.
    for (const [button, pattern, text] of [['Tải Markdown', /\.md$/, 'báo cáo tiến độ 2024-Q1'], ['Tải CSV', /\.csv$/, 'Sở Y tế']] as const) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
      expect(download.suggestedFilename()).toMatch(pattern);
      const file = fs.readFileSync(await download.path(), 'utf8');
      expect([button, file.includes('DA06'), file.includes(text), /Director, |Chief, |Head, /.test(file)]).toEqual([button, true, true, false]);
    }
    await screenshot(page, 'report');
  });

  it('department IT: connector list and page, a backfill followed to its end, its rejections filtered by reason, disable and enable', async () => {
    const page = await session();
    await signIn(page, origin, keys.DEPARTMENT_IT);
    await page.getByRole('link', { name: 'Kết nối dữ liệu' }).click();
    await page.getByRole('heading', { level: 1, name: 'Kết nối dữ liệu' }).waitFor();
    // Only the health department's connector.
    await page.locator('tbody tr').first().waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);
    await expectAccessible(page);
    await page.getByRole('link', { name: /Sở Y tế/ }).click();
    await page.getByRole('heading', { name: 'Cấu hình' }).waitFor();
    // Its mapping versions, the current one open, with when and by whom each was saved.
    await page.getByRole('heading', { name: 'Các phiên bản ánh xạ' }).waitFor();
    expect(await page.locator('details.mapping-version summary').allTextContents()).toEqual([expect.stringMatching(/^Phiên bản ánh xạ 1 \(đang dùng\) · \d{2}\/\d{2}\/\d{4} \d{2}:\d{2} · PILOTHUB_ADMIN_KEY$/)]);
    expect(await page.locator('details.mapping-version[open] pre').textContent()).toContain('KCB_BIOMETRIC_VISITS');

    // The progress comes from the connectorRunUpdated subscription, over a WebSocket to the hub's own /graphql.
    const sockets: string[] = [];
    const updates: Array<{ id: string; status: string; batches: number }> = [];
    page.on('websocket', (socket) => {
      sockets.push(socket.url());
      socket.on('framereceived', ({ payload }) => {
        const message = JSON.parse(String(payload)) as { type: string; payload?: { data?: { connectorRunUpdated?: { id: string; status: string; batches: number } } } };
        const run = message.type === 'next' ? message.payload?.data?.connectorRunUpdated : undefined;
        if (run) updates.push({ id: run.id, status: run.status, batches: run.batches });
      });
    });
    await page.getByLabel('Từ', { exact: true }).fill('2024-01-01');
    await page.getByLabel('Đến', { exact: true }).fill('2024-01-20');
    await page.getByRole('button', { name: 'Nạp lại khoảng ngày' }).click();
    const progress = page.locator('section.progress');
    await progress.waitFor();
    await page.locator('section.progress[data-run-status]:not([data-run-status="RUNNING"])').waitFor({ timeout: 120_000 });
    expect(await progress.getAttribute('data-run-status')).toMatch(/SUCCEEDED|PARTIAL/);
    expect(await progress.textContent()).toMatch(/Bị từ chối [1-9]/);
    expect(await progress.getAttribute('data-run-source')).toBe('live');
    expect(sockets).toEqual([`${origin.replace(/^http/, 'ws')}/graphql`]);
    // At least the run's final state arrived as an event; its batches are shown as the page received them.
    const finalUpdate = updates.find((update) => update.status !== 'RUNNING');
    expect(finalUpdate?.batches).toBeGreaterThan(0);
    expect(new Set(updates.map((update) => update.id)).size).toBe(1);
    expect(await progress.getAttribute('data-run-batches')).toBe(String(finalUpdate?.batches));
    expect(await progress.textContent()).toContain('Cập nhật trực tiếp');

    await page.getByRole('button', { name: /^Dòng bị từ chối #/ }).first().click();
    await page.getByRole('heading', { name: /^Dòng bị từ chối #/ }).waitFor();
    const rows = page.locator('#rejections-heading ~ .scroll tbody tr');
    await rows.first().waitFor();
    const all = await rows.count();
    const reasons = await page.locator('#reason option').allTextContents();
    expect(reasons.length).toBeGreaterThan(1);
    await page.getByLabel('Lý do').selectOption(reasons[1]);
    const filtered = await rows.count();
    expect(filtered).toBeGreaterThan(0);
    expect(filtered).toBeLessThanOrEqual(all);
    expect(new Set(await page.locator('#rejections-heading ~ .scroll tbody tr td:nth-child(2)').allTextContents())).toEqual(new Set([reasons[1]]));
    await expectAccessible(page);
    await screenshot(page, 'rejections');
    await page.evaluate('window.scrollTo(0, 0)');
    await screenshot(page, 'connector');

    await page.getByRole('button', { name: 'Tắt kết nối' }).click();
    await page.getByRole('button', { name: 'Bật kết nối' }).waitFor();
    await page.getByRole('button', { name: 'Bật kết nối' }).click();
    await page.getByRole('button', { name: 'Tắt kết nối' }).waitFor();
  });

  it('department IT: when the WebSocket cannot be opened, a run is followed by reading it every second', async () => {
    const page = await session();
    // The page's sockets go to a path the hub refuses (404 on the upgrade), as behind a proxy that drops upgrades.
    await page.context().addInitScript('window.WebSocket = class extends WebSocket { constructor(url, protocols) { super(String(url).replace(/graphql$/, "no-socket-here"), protocols); } };');
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));
    await signIn(page, origin, keys.DEPARTMENT_IT);
    await page.getByRole('link', { name: 'Kết nối dữ liệu' }).click();
    await page.getByRole('link', { name: /Sở Y tế/ }).click();
    await page.getByRole('heading', { name: 'Cấu hình' }).waitFor();
    await page.getByRole('button', { name: 'Chạy ngay' }).click();
    const progress = page.locator('section.progress');
    await progress.waitFor();
    await page.locator('section.progress[data-run-status]:not([data-run-status="RUNNING"])').waitFor({ timeout: 120_000 });
    expect(await progress.getAttribute('data-run-source')).toBe('polling');
    expect(await progress.textContent()).toContain('Đọc lại mỗi giây');
    expect(sockets).toEqual([`${origin.replace(/^http/, 'ws')}/no-socket-here`]);
    await expectAccessible(page);
  });

  it('department IT: uploads a CSV file to a push connector and reads the summary and the rejected rows; a file above maxRowsPerPush is refused before sending', async () => {
    await dataOf(hub, 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }', {
      input: { name: 'Sở Y tế — tệp tải lên', kind: 'push', department: 'SO_YT', config: { maxRowsPerPush: 3 } },
    });
    const page = await session();
    const pushes: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname.startsWith('/ingest/')) pushes.push(request.url());
    });
    await signIn(page, origin, keys.DEPARTMENT_IT);
    await page.getByRole('link', { name: 'Kết nối dữ liệu' }).click();
    await page.getByRole('link', { name: 'Sở Y tế — tệp tải lên' }).click();
    await page.getByRole('heading', { name: 'Tải lên tệp CSV' }).waitFor();
    const csv = 'metric,unit,period,value\nKCB_BIOMETRIC_VISITS,16681,2025-08-01,57\nNO_SUCH_METRIC,16681,2025-08-01,3\n';
    await page.getByLabel('Tệp CSV', { exact: true }).setInputFiles({ name: 'visits.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Tải lên', exact: true }).click();
    const answer = page.locator('.push-answer');
    await answer.waitFor();
    expect([await answer.getAttribute('data-imported'), await answer.getAttribute('data-rejected')]).toEqual(['1', '1']);
    const rejected = page.getByRole('table', { name: 'Dòng bị từ chối' }).locator('tbody tr');
    expect(await rejected.count()).toBe(1);
    const cells = await rejected.first().locator('td').allTextContents();
    expect([cells[0], cells[1], cells[3]]).toEqual(['1', 'UNKNOWN_METRIC', expect.stringContaining('NO_SUCH_METRIC')]);
    expect(pushes).toHaveLength(1);
    await expectAccessible(page);
    await screenshot(page, 'push-upload');

    // Four data rows for a connector taking three per push: refused in the page, nothing sent.
    const big = 'metric,unit,period,value\n' + 'KCB_BIOMETRIC_VISITS,16681,2025-08-01,57\n'.repeat(4);
    await page.getByLabel('Tệp CSV', { exact: true }).setInputFiles({ name: 'big.csv', mimeType: 'text/csv', buffer: Buffer.from(big) });
    await page.getByRole('button', { name: 'Tải lên', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'nhiều hơn giới hạn 3 dòng' }).waitFor();
    expect(pushes).toHaveLength(1);
    expect(await answer.count()).toBe(0);
  });

  it('department IT: registers a connector with the form generated from its kind\'s schema, previews its token-guarded source with the typed secret and sees sample source records', async () => {
    const page = await session();
    await signIn(page, origin, keys.DEPARTMENT_IT);
    await page.getByRole('link', { name: 'Kết nối dữ liệu' }).click();
    await page.getByRole('link', { name: 'Đăng ký kết nối' }).click();
    await page.getByLabel('Loại *').selectOption('http-json');
    await page.locator('#config-url').fill(`${guardedUrl}/health/biometric-visits`);
    await page.locator('#config-query').fill('{"from": "{{from}}", "to": "{{to}}"}');
    await page.locator('#config-headers').fill('{"Authorization": "Bearer {{secret:token}}"}');
    await page.locator('#config-recordsPath').fill('data');
    await page.getByLabel('Tên *').fill('Sở Y tế — lượt khám (đăng ký từ bảng điều khiển)');
    await page.locator('#connector-schedule').fill('0 17 * * *');
    await page.getByLabel('Ánh xạ (JSON)').fill(JSON.stringify({ metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'communeCode' }, period: { field: 'date', transform: 'dateToPeriod' }, value: { field: 'visits' } }));
    await expectAccessible(page);
    // Preview before saving: the source's records next to the rows the mapping makes, and the rejections; nothing saved.
    const registered = async () => (await dataOf<{ connectors: { totalCount: number } }>(hub, 'query { connectors(first: 1) { totalCount } }')).connectors.totalCount;
    const before = await registered();
    // Without the token the source cannot be read; with the one typed in the form (never saved by a preview) it can.
    await page.getByRole('button', { name: 'Xem trước (chưa lưu)' }).click();
    await page.getByRole('heading', { name: 'Xem trước — đọc được nguồn: Không' }).waitFor({ timeout: 30_000 });
    expect(await page.locator('.preview').textContent()).toContain('secret "token" is not set');
    await page.locator('#secret-token').fill(SOURCE_TOKEN);
    await page.getByRole('button', { name: 'Xem trước (chưa lưu)' }).click();
    await page.getByRole('heading', { name: 'Xem trước — đọc được nguồn: Có' }).waitFor({ timeout: 30_000 });
    expect(await page.evaluate('document.body.innerText + location.href')).not.toContain(SOURCE_TOKEN);
    const samples = await page.locator('#preview-heading ~ .preview-columns .scroll').nth(0).locator('tbody tr').count();
    const mapped = page.locator('#preview-heading ~ .preview-columns .scroll').nth(1);
    expect(samples).toBeGreaterThan(0);
    expect(await mapped.locator('tbody tr').count()).toBe(samples);
    expect(await mapped.locator('thead').textContent()).toContain('metric');
    await page.locator('.preview caption').filter({ hasText: 'Dòng bị từ chối' }).waitFor();
    expect(await registered()).toBe(before);
    await expectAccessible(page);
    await page.locator('#preview-heading').scrollIntoViewIfNeeded();
    await screenshot(page, 'preview-connector');
    await page.getByRole('button', { name: 'Đăng ký và kiểm tra' }).click();
    try {
      await page.getByRole('heading', { name: /^Kiểm tra nguồn — kết nối được: Có$/ }).waitFor({ timeout: 30_000 });
    } catch (error) {
      await page.screenshot({ path: 'tests/browser/screenshots/register-connector-failed.png', fullPage: true });
      throw error;
    }
    expect(await page.locator('#test-heading ~ .scroll tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#test-heading ~ .scroll thead').first().textContent()).toContain('communeCode');
    await expectAccessible(page);
    await page.locator('#test-heading').scrollIntoViewIfNeeded();
    await screenshot(page, 'register-connector');
  });

  it('department IT: edits the registered connector through the same form, prefilled; secrets only as set / not set; a change made meanwhile is refused', async () => {
    const page = await session();
    await signIn(page, origin, keys.DEPARTMENT_IT);
    await page.getByRole('link', { name: 'Kết nối dữ liệu' }).click();
    await page.getByRole('link', { name: 'Sở Y tế — lượt khám (đăng ký từ bảng điều khiển)' }).click();
    await page.getByRole('heading', { name: 'Cấu hình' }).waitFor();
    await page.getByRole('link', { name: 'Sửa kết nối' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sửa kết nối' }).waitFor();
    // Prefilled with the current definition; the kind and the department cannot change.
    expect(await page.locator('#config-url').inputValue()).toBe(`${guardedUrl}/health/biometric-visits`);
    expect(JSON.parse(await page.locator('#config-query').inputValue())).toEqual({ from: '{{from}}', to: '{{to}}' });
    expect(await page.locator('#connector-schedule').inputValue()).toBe('0 17 * * *');
    expect(JSON.parse(await page.getByLabel('Ánh xạ (JSON)').inputValue())).toMatchObject({ metric: { constant: 'KCB_BIOMETRIC_VISITS' } });
    expect([await page.locator('#kind').isDisabled(), await page.locator('#connector-department').isDisabled()]).toEqual([true, true]);
    // Secrets: never shown, only whether they are set (the token typed at registration); empty fields leave them as they are.
    expect(await page.locator('label[for="secret-token"]').textContent()).toContain('đã đặt');
    expect(await page.locator('label[for="secret-apiKey"]').textContent()).toContain('chưa đặt');
    expect(await page.locator('#secret-token').inputValue()).toBe('');
    await expectAccessible(page);

    await page.locator('#connector-schedule').fill('30 17 * * *');
    await page.locator('#secret-token').fill(ROTATED_TOKEN);
    await page.getByRole('button', { name: 'Lưu và kiểm tra' }).click();
    await page.getByRole('status').filter({ hasText: 'Đã lưu' }).waitFor();
    expect(await page.getByRole('status').textContent()).toContain('phiên bản 2');
    await page.getByRole('heading', { name: /^Kiểm tra nguồn — kết nối được: Có$/ }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'edit-connector');

    // The connector as stored: the new schedule, the secret set, the mapping's version unchanged (not retyped).
    const { connectors } = await dataOf<{ connectors: { edges: Array<{ node: { id: string; name: string; schedule: string; version: number; mappingVersion: number; secretNames: string[] } }> } }>(
      hub,
      'query { connectors(first: 50, filter: { department: "SO_YT", kind: "http-json" }) { edges { node { id name schedule version mappingVersion secretNames } } } }',
    );
    const edited = connectors.edges.map(({ node }) => node).filter((node) => node.name === 'Sở Y tế — lượt khám (đăng ký từ bảng điều khiển)');
    expect(edited.map((node) => [node.schedule, node.version, node.mappingVersion, node.secretNames])).toEqual([['30 17 * * *', 2, 1, ['token']]]);

    // Edited meanwhile by someone else: the form's version is out of date, nothing is changed.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Sửa kết nối' }).waitFor();
    expect(await page.locator('label[for="secret-token"]').textContent()).toContain('đã đặt');
    await dataOf(hub, 'mutation($id: ID!) { updateConnector(id: $id, input: { lookbackDays: 9 }) { version } }', { id: edited[0].id });
    await page.locator('#connector-schedule').fill('45 17 * * *');
    await page.getByRole('button', { name: 'Lưu và kiểm tra' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/version|phiên bản/i);
  });

  it('analyst: explores a metric, exports the answer as CSV and runs the same query in GraphiQL', async () => {
    const page = await session();
    await signIn(page, origin, keys.ANALYST);
    await page.getByRole('link', { name: 'Khám phá chỉ số' }).click();
    await page.getByRole('heading', { level: 1, name: 'Khám phá chỉ số' }).waitFor();
    const metric = page.locator('#metrics option').first();
    await metric.waitFor({ state: 'attached' });
    // A metric seeded per district and month for the first quarter of 2024 (and backfilled by the journey above).
    const metricCode = 'KCB_BIOMETRIC_VISITS';
    await page.getByLabel(/^Chỉ số/).selectOption(metricCode);
    await page.getByLabel('Độ chi tiết').selectOption('MONTH');
    await page.getByLabel('Cấp đơn vị hành chính').selectOption('DISTRICT');
    await page.getByRole('button', { name: 'Chạy truy vấn' }).click();
    await page.getByRole('heading', { name: /^Số dòng: / }).waitFor();
    expect(await page.locator('#answer-heading ~ .scroll tbody tr').count()).toBeGreaterThan(20);
    await page.locator('#answer-heading ~ .chart canvas').waitFor();
    await expectAccessible(page);
    await screenshot(page, 'explorer');
    // Numbers as people read them: 1.234,5 in Vietnamese, 1,234.5 in English.
    const values = () => page.locator('#answer-heading ~ .scroll tbody td.num').allTextContents();
    const vietnamese = await values();
    expect(vietnamese.some((text) => /^\d{1,3}(\.\d{3})+(,\d+)?$/.test(text))).toBe(true);
    expect(vietnamese.every((text) => /^-?\d{1,3}(\.\d{3})*(,\d+)?$|^—$/.test(text))).toBe(true);
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: /^Rows: / }).waitFor();
    expect(await values()).toEqual(vietnamese.map((text) => text.replace(/[.,]/g, (mark) => (mark === '.' ? ',' : '.'))));
    await page.getByRole('button', { name: 'Tiếng Việt' }).click();
    await page.getByRole('heading', { name: /^Số dòng: / }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Xuất CSV' }).click()]);
    const csv = fs.readFileSync(await download.path(), 'utf8');
    expect(csv.split('\r\n').length).toBeGreaterThan(2);
    expect(csv).toContain(metricCode);

    await page.getByRole('link', { name: 'Mở trong GraphiQL' }).click();
    await page.waitForURL(/\/graphql#/);
    await page.locator('.graphiql-container').waitFor({ timeout: 60_000 });
    await page.getByText('ConsoleAggregate').first().waitFor({ timeout: 60_000 });
    // A click before GraphiQL has set up its editors and fetcher does nothing: click until the answer is there.
    const answer = page.locator('.result-window').getByText('"aggregate"');
    const deadline = Date.now() + 120_000;
    for (;;) {
      await page.locator('.graphiql-execute-button').click();
      try {
        await answer.waitFor({ timeout: 5_000 });
        break;
      } catch (error) {
        if (Date.now() > deadline) {
          await screenshot(page, 'graphiql-failed');
          throw error;
        }
      }
    }
    // What the GraphiQL page loaded from the hub (the page, its scripts, styles, fonts and workers), as sent.
    const loaded = (await page.evaluate(`[performance.getEntriesByType('navigation'), performance.getEntriesByType('resource')].flat()
      .map((entry) => ({ name: entry.name, kind: entry.initiatorType, sent: entry.encodedBodySize, decoded: entry.decodedBodySize }))`)) as Array<{ name: string; kind: string; sent: number; decoded: number }>;
    // Not the operations GraphiQL sent (fetch).
    const assets = loaded.filter((entry) => entry.kind !== 'fetch' && entry.kind !== 'xmlhttprequest');
    fs.writeFileSync('tests/browser/screenshots/graphiql-page-bytes.json', JSON.stringify({
      files: assets.length,
      sentBytes: assets.reduce((sum, entry) => sum + entry.sent, 0),
      decodedBytes: assets.reduce((sum, entry) => sum + entry.decoded, 0),
    }, null, 2));
    // GraphiQL's own widgets are left out: the Monaco editors' syntax colours (color-contrast) and its tab list
    // (nested-interactive) are GraphiQL's markup, not the hub's; everything around them is checked.
    const graphiqlOwn = await seriousViolations(page);
    fs.writeFileSync('tests/browser/screenshots/graphiql-axe.json', JSON.stringify(graphiqlOwn, null, 2));
    expect(await seriousViolations(page, ['.monaco-editor', '.graphiql-tabs'])).toEqual([]);
    await screenshot(page, 'graphiql');

    // A subscription in GraphiQL goes over the hub's own WebSocket with the same credential: a run of the health
    // department's connector, started once it is subscribed, shows in the answer.
    const { connectors } = await dataOf<{ connectors: { edges: Array<{ node: { id: string; name: string } }> } }>(
      hub, 'query { connectors(first: 50, filter: { department: "SO_YT", kind: "http-json" }) { edges { node { id name } } } }',
    );
    const healthId = connectors.edges.find(({ node }) => node.name.includes('demo feed'))!.node.id;
    let sockets = 0;
    let subscribed = false;
    page.on('websocket', (socket) => {
      sockets += 1;
      socket.on('framesent', ({ payload }) => {
        if (String(payload).includes('"type":"subscribe"')) subscribed = true;
      });
    });
    await page.goto(`${origin}/`);
    await page.goto(`${origin}/graphql#query=${encodeURIComponent(`subscription GraphiqlRuns { connectorRunUpdated(connectorId: "${healthId}") { id status batches } }`)}`);
    await page.getByText('GraphiqlRuns').first().waitFor({ timeout: 60_000 });
    // As above, a click before GraphiQL is ready does nothing: click until the socket opens (not after: a second
    // click stops a running subscription), then wait for the subscription to be sent.
    for (const deadline = Date.now() + 120_000; sockets === 0; ) {
      await page.locator('.graphiql-execute-button').click();
      for (const until = Date.now() + 5_000; sockets === 0 && Date.now() < until; ) await page.waitForTimeout(100);
      if (sockets === 0 && Date.now() > deadline) throw new Error('GraphiQL never opened its WebSocket');
    }
    for (const until = Date.now() + 30_000; !subscribed; ) {
      if (Date.now() > until) throw new Error('GraphiQL never sent its subscription');
      await page.waitForTimeout(100);
    }
    expect(sockets).toBe(1);
    await dataOf(hub, 'mutation($id: ID!) { runConnector(id: $id) { id } }', { id: healthId });
    await page.locator('.result-window').getByText('"connectorRunUpdated"').first().waitFor({ timeout: 60_000 });
  }, 360_000);

  it('viewer on a tablet: the navigation shows only what the role may use, the page fits the screen, the keyboard reaches it', async () => {
    const opened = await openConsole(browser, origin, { width: 768, height: 1024 });
    sessions.push(opened);
    const page = opened.page;
    await signIn(page, origin, keys.VIEWER);
    await page.getByRole('heading', { level: 1, name: 'Tổng quan' }).waitFor();
    const navigation = await page.getByRole('navigation').getByRole('link').allTextContents();
    expect(navigation).toEqual(['Tổng quan', 'Đánh giá đơn vị', 'Khám phá chỉ số', 'GraphiQL']);
    // Wide tables scroll inside their own box; the page itself never scrolls sideways.
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    // The first Tab reaches the skip link, which moves the focus to the main region.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Bỏ qua đến nội dung chính');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement.id')).toBe('main');
    await expectAccessible(page);
    await screenshot(page, 'overview-tablet');
  });

  it('behind a reverse proxy under PUBLIC_BASE_PATH, signed in with a token of the JWT issuer: the console, its report downloaded in English and GraphiQL, every request under the prefix', async () => {
    const prefixed = await startTestHub({ environment: { ...QUIET_BACKGROUND, ...TEST_JWT, PUBLIC_BASE_PATH: '/pilothub' } });
    const hubOrigin = new URL(prefixed.hub.url).origin;
    const opened = await openConsole(browser, hubOrigin);
    try {
      const page = opened.page;
      const paths: string[] = [];
      page.on('request', (request) => paths.push(new URL(request.url()).pathname));
      await signIn(page, `${hubOrigin}/pilothub`, await signToken({ sub: 'tran.thi.b', pilothub_role: 'ANALYST' }));
      await page.getByRole('heading', { level: 1, name: 'Tổng quan' }).waitFor();
      expect(await page.locator('.who').textContent()).toContain('ANALYST');
      await page.getByRole('button', { name: 'English' }).click();
      await page.getByRole('link', { name: 'Progress report' }).click();
      await page.getByLabel(/Report period/).fill('2024-Q1');
      await page.getByRole('button', { name: 'Show' }).click();
      await page.getByText('Period 2024-Q1').waitFor();
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download Markdown' }).click()]);
      const markdown = fs.readFileSync(await download.path(), 'utf8');
      expect([/^## Overdue /m.test(markdown), markdown.includes('## Quá hạn')]).toEqual([true, false]);
      const answers: string[] = [];
      page.on('response', (response) => answers.push(`${response.status()} ${new URL(response.url()).pathname}`));
      await page.getByRole('link', { name: 'GraphiQL' }).click();
      await page.waitForURL(`${hubOrigin}/pilothub/graphql`);
      try {
        await page.locator('.graphiql-container').waitFor({ timeout: 90_000 });
      } catch (error) {
        await screenshot(page, 'base-path-graphiql-failed');
        fs.writeFileSync('tests/browser/screenshots/base-path-graphiql-failed.json', JSON.stringify({ answers, problems: opened.problems, outside: opened.outside }, null, 2));
        throw error;
      }
      expect(paths.filter((path) => !path.startsWith('/pilothub/'))).toEqual([]);
      expect(paths).toEqual(expect.arrayContaining(['/pilothub/graphql', expect.stringMatching(/^\/pilothub\/reports\/progress\.md$/)]));
    } finally {
      await opened.context.close();
      await prefixed.close();
    }
    expect({ outside: opened.outside, problems: opened.problems }).toEqual({ outside: [], problems: [] });
  }, 180_000);

  it('signs the person out with a clear message when the key is revoked', async () => {
    const { id, key } = await createKey('ANALYST');
    const page = await session();
    await signIn(page, origin, key);
    await page.getByRole('heading', { level: 1, name: 'Tổng quan' }).waitFor();
    expect(await page.evaluate("[localStorage.getItem('pilothub.credential'), sessionStorage.getItem('pilothub.credential') !== null]")).toEqual([null, true]);
    await dataOf(hub, 'mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { id });
    await page.getByRole('link', { name: 'Đánh giá đơn vị' }).click();
    await page.getByRole('alert').filter({ hasText: 'đã bị thu hồi' }).waitFor();
    await page.getByLabel('Khoá API hoặc mã JWT').waitFor();
    expect(await page.evaluate("sessionStorage.getItem('pilothub.credential')")).toBeNull();
    await expectAccessible(page);
  });
});
