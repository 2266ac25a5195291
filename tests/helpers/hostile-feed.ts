/**
 * A hostile feed server for tests: small, fixed department feeds (JSON pages, CSV, DHIS2) on real 2024 unit
 * codes, and the ways real sources break, each at its own path. It speaks raw TCP so it can also answer what
 * no HTTP server would: a banner of another protocol, a reset, endless headers, plain HTTP to a TLS client.
 *
 *   GET /health?page&size&set&key&failPage&failTimes&bad   JSON {data:[{communeCode,date,visits}]}, 7 rows in
 *        pages of `size` (default 4); `failPage` answers 503 the first `failTimes` times (counted per `key`);
 *        `bad=1` gives row 2 an unknown unit; `set` picks another 7 communes (one set per connector kind)
 *   GET /health/cursor-loop?cursor     cursors A → B → A …
 *   GET /health/page-loop?page         pages 1, 2, 1, 2 … (size 3): the source ignores the page number past 2
 *   GET /health/gzip-unlabelled        the JSON gzip-compressed, without Content-Encoding
 *   GET /health/gzip                   the JSON gzip-compressed, with Content-Encoding: gzip
 *   GET /health/echo                   500 whose body echoes the request's headers (secrets included)
 *   GET /csv?set&key&failTimes&eol=mixed    ma_don_vi;ngay;so_luot (7 rows); mixed line endings on request
 *   GET /dhis2/api/system/info         {"version":"2.40.0"}
 *   GET /dhis2/api/dataValueSets.json?startDate&endDate&set&key&failYear&failTimes
 *        LoanCount for 3 districts in 2024-03 and 2025-03 (and one last month) disaggregated by two combos (male, female);
 *        under /fail-<year>-<key>/dhis2/… the request for that year fails twice (counted per key)
 *   /banner  an SSH banner instead of HTTP     /reset  connection reset     /header-overflow  100 kB of headers
 *   A TLS client (https://) gets a plain-HTTP answer: its handshake fails.
 */
import net from 'node:net';
import zlib from 'node:zlib';
import { communes2024, districts2024 } from '../../src/feeds/feed-units';

export interface HostileFeed {
  url: string;
  port: number;
  /** Requests seen, as `METHOD path?query` lines. */
  requests: string[];
  /** Every header value received, lower-case names (to check what was sent). */
  headers: Array<Record<string, string>>;
  close(): Promise<void>;
}

export const HEALTH_ROWS = 7;
export const UNKNOWN_UNIT = '99999';
export const MALE = 'Mh7RcW2Lq1x';
export const FEMALE = 'Fk2QeV8Tn3a';

/** The rows of the health feed for a set (7 communes of 2024, one day). */
export function healthRows(set = 0, bad = false): Array<{ communeCode: string; date: string; visits: number }> {
  return Array.from({ length: HEALTH_ROWS }, (_, index) => ({
    communeCode: bad && index === 2 ? UNKNOWN_UNIT : communes2024[set * HEALTH_ROWS + index].code,
    date: '2024-03-01',
    visits: 10 * (set + 1) + index,
  }));
}

/** The districts of the DHIS2 feed for a set, and their male/female loan counts. */
export function dhis2Values(set = 0): Array<{ orgUnit: string; period: string; male: number; female: number }> {
  return [0, 1, 2].flatMap((index) =>
    ['202403', '202503'].map((period) => ({
      orgUnit: districts2024[set * 3 + index].code,
      period,
      male: 100 + index,
      female: 200 + index * 2,
    })),
  );
}

interface Request {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
}

const HEAD_LIMIT = 64 * 1024;

function send(socket: net.Socket, status: number, contentType: string, body: Buffer | string, extra: Record<string, string> = {}): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const reason = status === 200 ? 'OK' : status === 503 ? 'Service Unavailable' : status === 404 ? 'Not Found' : 'Error';
  const head = [`HTTP/1.1 ${status} ${reason}`, `content-type: ${contentType}`, `content-length: ${bytes.length}`, 'connection: close'];
  for (const [name, value] of Object.entries(extra)) head.push(`${name}: ${value}`);
  socket.write(`${head.join('\r\n')}\r\n\r\n`);
  socket.end(bytes);
}
const json = (socket: net.Socket, body: unknown, status = 200) => send(socket, status, 'application/json; charset=utf-8', JSON.stringify(body));

/** The CSV feed: semicolons, dd/mm/yyyy dates, CRLF line ends, or all three kinds of line end mixed. */
function csvText(set: number, mixedLineEnds: boolean): string {
  const rows = healthRows(set).map((row) => `${row.communeCode};${row.date.split('-').reverse().join('/')};${row.visits}`);
  const lines = ['ma_don_vi;ngay;so_luot', ...rows];
  return mixedLineEnds ? lines.map((line, index) => line + (index % 3 === 0 ? '\r\n' : index % 3 === 1 ? '\n' : '\r')).join('') : `${lines.join('\r\n')}\r\n`;
}

/** DHIS2 data values of `set` between two dates, one per category option combo (and last month's, for discover). */
function dhis2DataValues(set: number, from: string, to: string) {
  const lastMonth = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 1)).toISOString().slice(0, 7).replace('-', '');
  return [...dhis2Values(set), { ...dhis2Values(set)[0], period: lastMonth }]
    .filter((value) => `${value.period.slice(0, 4)}-${value.period.slice(4)}-01` >= from && `${value.period.slice(0, 4)}-${value.period.slice(4)}-28` <= to)
    .flatMap((value) =>
      [
        [MALE, value.male],
        [FEMALE, value.female],
      ].map(([combo, count]) => ({
        dataElement: 'LoanCount',
        period: value.period,
        orgUnit: value.orgUnit,
        categoryOptionCombo: combo,
        attributeOptionCombo: 'HllvX50cXC0',
        value: String(count),
        lastUpdated: '2024-04-03T09:12:44.512',
      })),
    );
}

/** A request's method, path, query and headers (names in lower case) from its head. */
function parseHead(head: Buffer): Request {
  const lines = head.toString('latin1').split('\r\n');
  const [method, target] = lines[0].split(' ');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const url = new URL(target ?? '/', 'http://hostile.invalid');
  return { method: method ?? 'GET', path: url.pathname, query: url.searchParams, headers };
}

/** `failNow(key, times)`: true (and counted) while the failure budget of `key` lasts. */
function failureBudgets(): (key: string, times: number) => boolean {
  const failures = new Map<string, number>();
  return (key, times) => {
    const used = failures.get(key) ?? 0;
    if (used >= times) return false;
    failures.set(key, used + 1);
    return true;
  };
}

export async function startHostileFeed(): Promise<HostileFeed> {
  const requests: string[] = [];
  const headersSeen: Array<Record<string, string>> = [];
  const failNow = failureBudgets();
  const sockets = new Set<net.Socket>();

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered[0] === 0x16) {
        // A TLS ClientHello: answer in plain HTTP, as a server without TLS on that port does.
        socket.off('data', onData);
        socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
        return;
      }
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buffered.length > HEAD_LIMIT) socket.destroy();
        return;
      }
      socket.off('data', onData);
      const request = parseHead(buffered.subarray(0, end));
      requests.push(`${request.method} ${request.path}${request.query.size ? `?${request.query}` : ''}`);
      headersSeen.push(request.headers);
      answer(socket, request);
    };
    socket.on('data', onData);
  });

  function answer(socket: net.Socket, request: Request): void {
    const { path, query } = request;
    const set = Number(query.get('set') ?? 0);
    const key = `${path}:${query.get('key') ?? ''}`;
    // A DHIS2 base URL cannot carry a query: `/fail-<year>-<key>/dhis2/…` fails that year's first two requests.
    const staged = /^\/fail-(\d{4})-([A-Za-z0-9]+)(\/dhis2\/.*)$/.exec(path);
    if (staged) {
      query.set('failYear', staged[1]);
      query.set('key', staged[2]);
      query.set('failTimes', '2');
      return answer(socket, { ...request, path: staged[3], query });
    }
    switch (path) {
      case '/health': {
        const size = Number(query.get('size') ?? 4);
        const page = Number(query.get('page') ?? 1);
        if (query.get('failPage') !== null && Number(query.get('failPage')) === page && failNow(key, Number(query.get('failTimes') ?? 1))) {
          return json(socket, { error: 'temporarily overloaded' }, 503);
        }
        const rows = healthRows(set, query.get('bad') === '1');
        return json(socket, { data: rows.slice((page - 1) * size, page * size) });
      }
      case '/health/cursor-loop': {
        const rows = healthRows(set);
        const cursor = query.get('cursor');
        if (cursor === null) return json(socket, { data: rows.slice(0, 2), next: 'A' });
        if (cursor === 'A') return json(socket, { data: rows.slice(2, 4), next: 'B' });
        return json(socket, { data: rows.slice(4, 6), next: 'A' });
      }
      case '/health/page-loop': {
        const page = Number(query.get('page') ?? 1);
        const shown = ((page - 1) % 2) + 1;
        return json(socket, { data: healthRows(set).slice((shown - 1) * 3, shown * 3) });
      }
      case '/health/gzip-unlabelled':
        return send(socket, 200, 'application/json', zlib.gzipSync(JSON.stringify({ data: healthRows(set) })));
      case '/health/gzip':
        return send(socket, 200, 'application/json', zlib.gzipSync(JSON.stringify({ data: healthRows(set) })), { 'content-encoding': 'gzip' });
      case '/health/echo':
        return json(socket, { error: 'upstream failed', request: request.headers }, 500);
      case '/csv': {
        if (failNow(key, Number(query.get('failTimes') ?? 0))) return send(socket, 503, 'text/plain', 'busy');
        return send(socket, 200, 'text/csv; charset=utf-8', csvText(set, query.get('eol') === 'mixed'));
      }
      case '/dhis2/api/system/info':
        return json(socket, { version: '2.40.0', revision: 'hostile', systemName: 'Hostile DHIS2' });
      case '/dhis2/api/dataValueSets.json': {
        const from = query.get('startDate') ?? '0000';
        const to = query.get('endDate') ?? '9999';
        if (query.get('failYear') !== null && to.slice(0, 4) === query.get('failYear') && failNow(key, Number(query.get('failTimes') ?? 1))) {
          return json(socket, { httpStatus: 'Service Unavailable' }, 503);
        }
        const dataValues = dhis2DataValues(set, from, to);
        return json(socket, dataValues.length ? { dataSet: query.get('dataSet'), dataValues } : {});
      }
      case '/banner':
        socket.end('SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n');
        return;
      case '/reset':
        socket.resetAndDestroy();
        return;
      case '/header-overflow':
        socket.end(`HTTP/1.1 200 OK\r\nx-padding: ${'a'.repeat(100_000)}\r\ncontent-length: 2\r\n\r\n[]`);
        return;
      default:
        return json(socket, { error: `nothing at ${path}` }, 404);
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    headers: headersSeen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 nothing listens on (taken, then released). */
export async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
