/**
 * Parsers of single configuration values (a path prefix, a database URL, TRUST_PROXY, a time zone), each throwing an
 * Error whose message says what is wrong; src/config.ts turns them into zod issues naming the variable.
 */
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/** A zod transform that parses with `parse` and reports its Error message as the issue. */
export function parsedWith<T>(parse: (text: string) => T) {
  return (text: string, ctx: z.RefinementCtx): T => {
    try {
      return parse(text);
    } catch (error) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
      return z.NEVER;
    }
  };
}

/**
 * PUBLIC_BASE_PATH: '' or `/segment[/segment…]` of letters, digits, `-`, `_`, `.` and `~`; a trailing slash is
 * dropped, so `/pilothub/` and `/pilothub` mean the same.
 */
export function parseBasePath(text: string): string {
  const path = text.replace(/\/+$/, '');
  if (path === '') return '';
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(path) || path.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new Error(`"${text}" is not a path prefix: expected e.g. /pilothub (segments of letters, digits, - _ . ~)`);
  }
  return path;
}

const URL_ENCODING_HINT =
  'URL-encode special characters of the user name and password (/ as %2F, @ as %40, : as %3A, # as %23, ? as %3F, % as %25), ' +
  'e.g. mariadb://hub:p%40ss%2Fword@db.example:3306/pilothub';

/**
 * DATABASE_URL as given, once it is known to name a server and a database with readable credentials; the error
 * says what is wrong without repeating the URL (it holds the password).
 */
export function checkDatabaseUrl(text: string): string {
  if (!/^(mysql|mariadb):\/\/./.test(text)) throw new Error('must start with mysql:// or mariadb://');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`is not a valid URL; ${URL_ENCODING_HINT}`);
  }
  if (url.hostname === '') throw new Error(`names no server (mysql://user:password@host:port/database); ${URL_ENCODING_HINT}`);
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
    decodeURIComponent(url.pathname);
  } catch {
    throw new Error(`has a % that does not start an escape (%XX); ${URL_ENCODING_HINT}`);
  }
  const database = decodeURIComponent(url.pathname.slice(1));
  if (database === '' || database.includes('/')) {
    throw new Error(`must end with the database name, e.g. mariadb://hub:password@db.example:3306/pilothub${database.includes('/') ? `; ${URL_ENCODING_HINT}` : ''}`);
  }
  return text;
}

/** Every environment variable the hub reads, parsed and validated once at start-up. */
/** express's `trust proxy` value. */
export type TrustProxy = boolean | number | string[];

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** TRUST_PROXY: `false`, `true`, a hop count, or addresses / CIDR ranges / `loopback`, `linklocal`, `uniquelocal`. */
export function parseTrustProxy(text: string): TrustProxy {
  if (text === 'false' || text === '') return false;
  if (text === 'true') return true;
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops < 1 || hops > 10) throw new Error('a hop count must be between 1 and 10');
    return hops;
  }
  const entries = text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  for (const entry of entries) {
    if (PROXY_NAMES.has(entry)) continue;
    const [address, bits, extra] = entry.split('/');
    const valid = extra === undefined && ipaddr.isValid(address) && (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (ipaddr.parse(address).kind() === 'ipv4' ? 32 : 128)));
    if (!valid) throw new Error(`"${entry}" is not an address, a CIDR range, loopback, linklocal or uniquelocal (expected false, true, a hop count or a comma-separated list)`);
  }
  if (entries.length === 0) throw new Error('expected false, true, a hop count or a comma-separated list of addresses');
  return entries;
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

