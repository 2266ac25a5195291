/**
 * The rate-limit middleware on a real express server: callers are told apart by the principal authentication
 * sets (here a stand-in reading a test header), else by their address.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createRateLimit, type RateLimitName, type RateLimitSettings } from '../../src/security/rate-limit';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(port: number, options: { subject?: string; from?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, path: '/work', localAddress: options.from, headers: options.subject ? { 'x-test-subject': options.subject } : {} },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

async function serve(settings: RateLimitSettings, limited: RateLimitName[]): Promise<{ port: number; close: () => Promise<void> }> {
  const app = express();
  // Stands in for authentication, which runs before the limiter.
  app.use((request, response, next) => {
    const subject = request.headers['x-test-subject'];
    if (typeof subject === 'string') response.locals.principal = { subject, name: subject, role: 'VIEWER', departmentIds: null, apiKeyId: null };
    next();
  });
  app.use(createRateLimit(settings, { onLimited: (limit) => limited.push(limit) }));
  app.get('/work', (_request, response) => {
    response.json({ ok: true });
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('rate limit middleware', () => {
  it('allows perMinute requests per caller, then answers 429 with Retry-After; other callers are unaffected', async () => {
    const limited: RateLimitName[] = [];
    const server = await serve({ perMinute: 2, burst: 0 }, limited);
    try {
      const first = await get(server.port, { subject: 'key:1' });
      const second = await get(server.port, { subject: 'key:1' });
      expect([first.status, second.status]).toEqual([200, 200]);
      expect([first.headers['ratelimit-limit'], first.headers['ratelimit-remaining'], second.headers['ratelimit-remaining']]).toEqual(['2', '1', '0']);
      expect(Number(first.headers['ratelimit-reset'])).toBeGreaterThanOrEqual(1);

      const refused = await get(server.port, { subject: 'key:1' });
      expect(refused.status).toBe(429);
      const retryAfter = refused.headers['retry-after'];
      expect(retryAfter).toMatch(/^\d+$/);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(retryAfter)).toBeLessThanOrEqual(60);
      const body = JSON.parse(refused.body) as { errors: Array<{ message: string; extensions: { code: string; retryAfterSeconds: number } }> };
      expect(body.errors[0].extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: Number(retryAfter) });
      expect(body.errors[0].message).toContain('2 requests per minute');
      expect(limited).toEqual(['minute']);

      // Another key from the same address has its own allowance.
      expect((await get(server.port, { subject: 'key:2' })).status).toBe(200);
      // Without a principal (or with the shared anonymous one) the address is the caller.
      expect((await get(server.port)).status).toBe(200);
      expect((await get(server.port, { subject: 'anonymous' })).status).toBe(200);
      expect((await get(server.port)).status).toBe(429);
      expect((await get(server.port, { from: '127.0.0.2' })).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('caps bursts per second and lets the caller in again once the second is over', async () => {
    const limited: RateLimitName[] = [];
    const server = await serve({ perMinute: 100, burst: 2 }, limited);
    try {
      expect((await get(server.port, { subject: 'key:1' })).status).toBe(200);
      const second = await get(server.port, { subject: 'key:1' });
      // Headers describe the per-minute allowance.
      expect([second.status, second.headers['ratelimit-limit'], second.headers['ratelimit-remaining']]).toEqual([200, '100', '98']);
      const refused = await get(server.port, { subject: 'key:1' });
      expect([refused.status, refused.headers['retry-after']]).toEqual([429, '1']);
      expect(limited).toEqual(['burst']);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const again = await get(server.port, { subject: 'key:1' });
      expect(again.status).toBe(200);
      // The refused request did not count against the minute.
      expect(again.headers['ratelimit-remaining']).toBe('97');
    } finally {
      await server.close();
    }
  });

  it('does nothing when both limits are 0', async () => {
    const server = await serve({ perMinute: 0, burst: 0 }, []);
    try {
      for (let index = 0; index < 5; index += 1) {
        const answer = await get(server.port);
        expect(answer.status).toBe(200);
        expect(answer.headers['ratelimit-limit']).toBeUndefined();
      }
    } finally {
      await server.close();
    }
  });
});
