/**
 * A dashboard page on another origin calls the hub from headless Chromium: with its origin in CORS_ORIGINS the
 * page reads answers, refusals and the rate-limit headers; from an unlisted origin the browser itself refuses.
 */
import type { Browser } from 'playwright-core';
import { launchBrowser, servePage, type PageServer } from '../helpers/browser';
import { QUIET_BACKGROUND, startTestHub, TEST_ADMIN_KEY, type TestHub } from '../helpers/test-hub';

interface PageResult {
  ok?: boolean;
  status?: number;
  body?: unknown;
  remaining?: string | null;
  requestId?: string | null;
  failed?: string;
}

describe('CORS in a real browser', () => {
  let hub: TestHub;
  let browser: Browser;
  let listed: PageServer;
  let unlisted: PageServer;

  beforeAll(async () => {
    listed = await servePage('<!doctype html><title>dashboard</title>');
    unlisted = await servePage('<!doctype html><title>elsewhere</title>');
    hub = await startTestHub({ environment: { ...QUIET_BACKGROUND, CORS_ORIGINS: listed.origin, RATE_LIMIT_PER_MINUTE: '1000' } });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    await listed?.close();
    await unlisted?.close();
  });

  /** Runs fetch() in a page of `origin` against the hub (on localhost: another origin than the pages' 127.0.0.1). */
  async function fetchFrom(origin: string, authorization: string | null): Promise<PageResult> {
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/`);
      const url = new URL(hub.hub.url);
      url.hostname = 'localhost';
      return await page.evaluate(
        async ({ endpoint, key }) => {
          try {
            const headers: Record<string, string> = { 'content-type': 'application/json' };
            if (key) headers.authorization = `Bearer ${key}`;
            const response = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify({ query: '{ program(code: "DA06") { code pilotModelCounts { total } } }' }) });
            return { ok: response.ok, status: response.status, body: await response.json(), remaining: response.headers.get('ratelimit-remaining'), requestId: response.headers.get('x-request-id') };
          } catch (error) {
            return { failed: String(error) };
          }
        },
        { endpoint: url.toString(), key: authorization },
      );
    } finally {
      await page.close();
    }
  }

  it('lets a page on a listed origin query with a Bearer key and read the rate-limit headers', async () => {
    const result = await fetchFrom(listed.origin, TEST_ADMIN_KEY);
    expect(result).toMatchObject({ ok: true, status: 200, body: { data: { program: { code: 'DA06', pilotModelCounts: { total: 38 } } } } });
    expect(Number(result.remaining)).toBeGreaterThan(0);
    expect(result.requestId).toMatch(/\S/);
  });

  it('lets the page read a refusal', async () => {
    const result = await fetchFrom(listed.origin, null);
    expect(result).toMatchObject({ ok: false, status: 401 });
    expect((result.body as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('is refused by the browser on an unlisted origin', async () => {
    const result = await fetchFrom(unlisted.origin, TEST_ADMIN_KEY);
    expect(result.failed).toMatch(/TypeError: Failed to fetch/);
  });
});
