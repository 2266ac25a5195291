/** The console's pages and assets as the hub serves them (src/http/console.ts), on a real port, from a stand-in build. */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import express from 'express';
import { basePath, CONSOLE_POLICY, GRAPHIQL_POLICY, webConsole } from '../../src/http/console';

describe('console pages', () => {
  let directory: string;
  let server: import('node:http').Server;
  let origin: string;

  beforeAll(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-console-'));
    fs.mkdirSync(path.join(directory, 'assets'));
    fs.writeFileSync(path.join(directory, 'index.html'), '<!doctype html><title>console</title>');
    fs.writeFileSync(path.join(directory, 'graphiql.html'), '<!doctype html><title>graphiql</title>');
    fs.writeFileSync(path.join(directory, 'assets', 'console-abc123.js'), 'export {};');
    fs.writeFileSync(path.join(directory, 'assets', 'console-abc123.js.gz'), zlib.gzipSync('export {};'));
    const app = express();
    app.use(basePath('/pilothub'));
    app.use(webConsole(directory));
    app.use((_request, response) => {
      response.status(418).end('next');
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('serves the console at / with its strict policy, with or without the prefix, and redirects the bare prefix', async () => {
    for (const url of [`${origin}/`, `${origin}/pilothub/`]) {
      const page = await fetch(url);
      expect([page.status, await page.text(), page.headers.get('content-security-policy'), page.headers.get('cache-control')]).toEqual([200, expect.stringContaining('console'), CONSOLE_POLICY, 'no-cache']);
    }
    expect(CONSOLE_POLICY).toContain("script-src 'self';");
    expect(CONSOLE_POLICY).not.toMatch(/unsafe|https?:/);
    const bare = await fetch(`${origin}/pilothub?x=1`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect([bare.status, bare.headers.get('location'), bare.headers.get('content-type'), bare.headers.get('content-security-policy')]).toEqual([
      301,
      '/pilothub/?x=1',
      'text/html; charset=utf-8',
      CONSOLE_POLICY,
    ]);
  });

  it('answers a browser GET /graphql with GraphiQL and leaves API requests to the GraphQL handler', async () => {
    const page = await fetch(`${origin}/pilothub/graphql`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect([page.status, await page.text(), page.headers.get('content-security-policy')]).toEqual([200, expect.stringContaining('graphiql'), GRAPHIQL_POLICY]);
    expect(GRAPHIQL_POLICY).toContain("script-src 'self';");
    for (const accept of ['application/json', 'application/graphql-response+json', '*/*']) {
      expect((await fetch(`${origin}/graphql?query=%7B__typename%7D`, { headers: { accept } })).status).toBe(418);
    }
  });

  it('caches hashed assets for a year and answers 404 for a missing one', async () => {
    const asset = await fetch(`${origin}/pilothub/assets/console-abc123.js`);
    expect([asset.status, asset.headers.get('cache-control')]).toEqual([200, 'public, max-age=31536000, immutable']);
    expect((await fetch(`${origin}/assets/missing.js`)).status).toBe(404);
  });

  it('sends the gzipped build of an asset to a browser that accepts gzip, the file itself to others', async () => {
    const raw = (encoding: string) => new Promise<{ headers: import('node:http').IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      http.get(`${origin}/pilothub/assets/console-abc123.js`, { headers: { 'accept-encoding': encoding } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
    const gzipped = await raw('gzip, deflate, br');
    expect([gzipped.headers['content-encoding'], gzipped.headers['content-type'], gzipped.headers['cache-control'], gzipped.headers.vary]).toEqual([
      'gzip', 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable', 'Accept-Encoding',
    ]);
    expect(zlib.gunzipSync(gzipped.body).toString()).toBe('export {};');
    const plain = await raw('identity');
    expect([plain.headers['content-encoding'], plain.headers.vary, plain.body.toString()]).toEqual([undefined, 'Accept-Encoding', 'export {};']);
    // Only a file's own name: no way out of the assets folder.
    const outside = await fetch(`${origin}/assets/..%2Findex.html`, { headers: { 'accept-encoding': 'gzip' } });
    expect(outside.status).toBe(404);
  });

  it('answers 503 naming the build command when the console is not built', async () => {
    fs.renameSync(path.join(directory, 'index.html'), path.join(directory, 'index.moved'));
    try {
      const page = await fetch(`${origin}/`);
      expect([page.status, await page.text()]).toEqual([503, expect.stringContaining('npm run build:web')]);
    } finally {
      fs.renameSync(path.join(directory, 'index.moved'), path.join(directory, 'index.html'));
    }
  });
});
