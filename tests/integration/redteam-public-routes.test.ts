/**
 * Attacks on the routes served without credentials: the manifest JSON Schema (GET /schemas/connector-manifest.json)
 * is counted against the client's address like every download, so nobody pulls its ~95 kB without end.
 */
import { startTestHub, type TestHub } from '../helpers/test-hub';

describe('public routes under attack', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await startTestHub({ environment: { RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('the manifest JSON Schema stays public but is rate limited per address (429 past RATE_LIMIT_PER_MINUTE)', async () => {
    const url = `http://127.0.0.1:${hub.hub.port}/schemas/connector-manifest.json`;
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let index = 0; index < 4; index += 1) {
      last = await fetch(url);
      statuses.push(last.status);
      if (index === 0) {
        expect(last.headers.get('ratelimit-limit')).toBe('3');
        expect((JSON.parse(await last.text()) as { $schema: string }).$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      } else await last.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
