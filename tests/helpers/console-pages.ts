import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { consoleDirectory } from '../../src/http/console';
import { ROOT } from './source-hash';

/** Where the console journeys save their screenshots (git-ignored; the README's Console section names it). */
export const SCREENSHOTS = path.join(ROOT, 'tests', 'browser', 'screenshots');

/** Builds web/dist unless the build of these sources is there already (web/build.mjs keeps the hash). */
export function ensureConsoleBuilt(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'web', 'build.mjs')], { cwd: ROOT, stdio: 'inherit', timeout: 300_000 });
}

/** The gzip size of each script of the console page (its entry and every chunk it imports, statically), from Vite's manifest. */
export function consoleScripts(entry = 'index.html'): Array<{ file: string; gzipBytes: number }> {
  const directory = consoleDirectory();
  const manifest = JSON.parse(fs.readFileSync(path.join(directory, '.vite', 'manifest.json'), 'utf8')) as Record<string, { file: string; imports?: string[] }>;
  const seen = new Set<string>();
  const visit = (key: string): void => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const imported of manifest[key]?.imports ?? []) visit(imported);
  };
  visit(entry);
  return [...seen].map((key) => {
    const file = manifest[key].file;
    return { file, gzipBytes: zlib.gzipSync(fs.readFileSync(path.join(directory, file)), { level: 9 }).length };
  });
}

export interface ConsoleSession {
  context: BrowserContext;
  page: Page;
  /** Requests to any other origin than the hub's (each was aborted). */
  outside: string[];
  /** Content-Security-Policy violations and uncaught page errors. */
  problems: string[];
}

/**
 * A browser context at an office screen's size whose every request is checked: one to any other origin than the
 * hub's is aborted and recorded. CSP violations and page errors are recorded too.
 */
export async function openConsole(browser: Browser, origin: string, viewport = { width: 1366, height: 768 }): Promise<ConsoleSession> {
  const context = await browser.newContext({ viewport, acceptDownloads: true, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
  const outside: string[] = [];
  const problems: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    // A request still in flight when the journey closes its context is dropped, not an error of the next journey.
    if (url.startsWith(`${origin}/`) || url === origin) return route.continue().catch(() => undefined);
    outside.push(url);
    return route.abort('blockedbyclient').catch(() => undefined);
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text().slice(0, 300));
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return { context, page, outside, problems };
}

/** Signs in on the console's sign-in page with a key typed into its password field. */
export async function signIn(page: Page, origin: string, key: string): Promise<void> {
  await page.goto(`${origin}/`);
  await page.getByLabel('Khoá API hoặc mã JWT').fill(key);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
}

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now (rule id and the first few targets). */
export async function seriousViolations(page: Page, exclude: string[] = []): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern (an inline <script> would be refused).
  await page.evaluate(AXE_SOURCE);
  // Run in the page: written as text, since the page's globals (window, document) are not Node's.
  const violations = (await page.evaluate(`(async () => {
    const excluded = ${JSON.stringify(exclude)};
    const result = await window.axe.run(excluded.length ? { include: [['html']], exclude: excluded.map((selector) => [selector]) } : document, { resultTypes: ['violations'] });
    return result.violations.map((violation) => ({ id: violation.id, impact: violation.impact, targets: violation.nodes.slice(0, 3).map((node) => JSON.stringify(node.target) + ' ' + node.html.slice(0, 160)) }));
  })()`)) as Array<{ id: string; impact: string | null; targets: string[] }>;
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical').map((violation) => `${violation.id} (${violation.impact}): ${violation.targets.join(' ')}`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
}
