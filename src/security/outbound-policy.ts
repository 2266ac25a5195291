/**
 * Where connectors may connect to. Two rules, both must pass:
 *
 * 1. The host (and port) must match the allowlist: entries an administrator added (`outbound_host`) and the
 *    patterns of CONNECTOR_ALLOWED_HOSTS. A pattern is an exact host (`data.soyte.nghean.gov.vn`), a wildcard
 *    (`*.nghean.gov.vn`: any name below it, not the name itself) or an IP address, each optionally with a port.
 * 2. The address actually connected to must be public unicast. Private ranges (10/8, 172.16/12, 192.168/16,
 *    100.64/10, fc00::/7) are allowed too with CONNECTOR_ALLOW_PRIVATE_NETWORKS; loopback only for an entry an
 *    administrator added with `allowPrivate`, which requires an exact host and port. Link-local (including the
 *    169.254.169.254 metadata service), unspecified, multicast, broadcast, reserved and IPv4-embedding IPv6
 *    ranges are never reached. IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) are judged as the IPv4 address.
 */
import ipaddr from 'ipaddr.js';
import { ConnectorError } from '../../connectors/sdk/contract';

/** A refused destination; never retried. */
export class OutboundBlockedError extends ConnectorError {
  constructor(message: string) {
    super('OUTBOUND_BLOCKED', message, false);
    this.name = 'OutboundBlockedError';
  }
}

export interface HostPattern {
  /** Canonical text, e.g. `*.nghean.gov.vn`, `10.0.5.20:8080`, `[fd00::5]:443`. */
  pattern: string;
  /** Canonical host (lower case, IP spellings normalised, IPv6 in brackets) without `*.`. */
  host: string;
  wildcard: boolean;
  /** null: any port. */
  port: number | null;
}

export interface AllowEntry {
  pattern: HostPattern;
  /** May reach loopback and private addresses (exact host and port only). */
  allowPrivate: boolean;
  /** Departments whose connectors may use the entry; empty: only connectors an administrator configured. */
  departmentIds?: readonly number[];
}

/** Whose connector is connecting: the allowlist entries it may use depend on it. */
export interface ConnectorReach {
  departmentId: number;
  /** Shown in refusals. */
  departmentCode: string;
  /** An administrator wrote the connector's configuration. */
  configuredByAdmin: boolean;
}

/** Whether `entry` serves a connector of `reach`: granted to its department, or granted to none and configured by an administrator. */
export function entryServes(entry: AllowEntry, reach: ConnectorReach): boolean {
  const departments = entry.departmentIds ?? [];
  return departments.length === 0 ? reach.configuredByAdmin : departments.includes(reach.departmentId);
}

/** The host of `text` as the WHATWG URL parser writes it (what every request uses), or null if unusable. */
export function canonicalHost(text: string): string | null {
  const bare = text.trim();
  if (bare === '') return null;
  // A bare IPv6 literal (as a SQL host may be given) needs brackets in a URL.
  const host = bare.includes(':') && !bare.startsWith('[') ? `[${bare}]` : bare;
  try {
    const url = new URL(`http://${host}/`);
    return url.hostname && url.port === '' && url.pathname === '/' && !url.username ? url.hostname : null;
  } catch {
    return null;
  }
}

const isIpLiteral = (host: string): boolean => host.startsWith('[') || ipaddr.IPv4.isValidFourPartDecimal(host);

/** A DNS host name (RFC 1123, after IDN to punycode): letters, digits and inner hyphens, labels of 1–63. */
const HOST_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const isHostName = (host: string): boolean => host.length <= 253 && host.split('.').every((label) => HOST_LABEL.test(label));

/** Parses an allowlist pattern: `host`, `host:port`, `*.domain`, `*.domain:port`, `[v6]:port`. */
export function parseHostPattern(text: string): HostPattern {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === '' || trimmed.length > 260) throw new Error('give a host name, *.domain or IP address, optionally with :port');
  if (/[/?#@\s]/.test(trimmed) || trimmed.includes('://')) {
    throw new Error(`"${text}" is not a host pattern: give the host only (e.g. data.example.gov.vn or *.example.gov.vn:8443), no scheme or path`);
  }
  let hostPart = trimmed;
  let port: number | null = null;
  const portMatch = /^(.*[^:]):(\d{1,5})$/.exec(trimmed);
  if (portMatch && (portMatch[1].startsWith('[') ? portMatch[1].endsWith(']') : !portMatch[1].includes(':'))) {
    hostPart = portMatch[1];
    port = Number(portMatch[2]);
    if (port < 1 || port > 65_535) throw new Error(`port ${portMatch[2]} is out of range (1–65535)`);
  }
  const wildcard = hostPart.startsWith('*.');
  const name = wildcard ? hostPart.slice(2) : hostPart;
  if (name.includes('*')) throw new Error('a wildcard may only be the first label, as in *.example.gov.vn');
  const host = canonicalHost(name);
  if (!host || !(isIpLiteral(host) || isHostName(host))) throw new Error(`"${text}" is not a valid host name or IP address`);
  if (wildcard && (isIpLiteral(host) || !host.includes('.'))) {
    throw new Error('a wildcard needs a domain of at least two labels below it, as in *.example.gov.vn');
  }
  const prefix = wildcard ? '*.' : '';
  return { pattern: `${prefix}${host}${port === null ? '' : `:${port}`}`, host, wildcard, port };
}

/** Parses a comma-separated list of patterns (CONNECTOR_ALLOWED_HOSTS). */
export function parseHostPatterns(text: string): HostPattern[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map(parseHostPattern);
}

function hostMatches(pattern: HostPattern, host: string): boolean {
  return pattern.wildcard ? host.endsWith(`.${pattern.host}`) : host === pattern.host;
}

/** The form a destination is shown in: `host:port`. */
export function describeDestination(host: string, port: number): string {
  return `${host}:${port}`;
}

/** Why connectors may not reach `address` under `entry`, or null when they may. */
export function addressProblem(address: string, entry: AllowEntry, allowPrivateNetworks: boolean): string | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // process() turns ::ffff:a.b.c.d into the IPv4 address it stands for.
    parsed = ipaddr.process(address.replace(/^\[|\]$/g, ''));
  } catch {
    return `${address} is not an IP address`;
  }
  const range = parsed.range();
  const shown = parsed.toString();
  switch (range) {
    case 'unicast':
      return null;
    case 'private':
    case 'uniqueLocal':
    case 'carrierGradeNat':
      if (allowPrivateNetworks || entry.allowPrivate) return null;
      return `${shown} is a private-network address; set CONNECTOR_ALLOW_PRIVATE_NETWORKS=true for on-premise servers, or have an administrator add ${entry.pattern.pattern} with allowPrivate and an exact port`;
    case 'loopback':
      if (entry.allowPrivate) return null;
      return `${shown} is a loopback address; only an allowlist entry for an exact host and port added with allowPrivate may reach it`;
    case 'linkLocal':
      return `${shown} is a link-local address (this includes the cloud metadata service 169.254.169.254); connectors never reach it`;
    default:
      return `${shown} is a ${range} address; connectors never reach it`;
  }
}

/** The allowlist as one check; built fresh for each registration, test and run. */
export class OutboundPolicy {
  constructor(
    readonly entries: readonly AllowEntry[],
    readonly allowPrivateNetworks: boolean,
    /** The connector the policy was narrowed to ({@link forConnector}), named in refusals. */
    readonly reach: ConnectorReach | null = null,
  ) {}

  /** The entries a connector of `reach` may use (see {@link entryServes}). */
  forConnector(reach: ConnectorReach): OutboundPolicy {
    return new OutboundPolicy(this.entries.filter((entry) => entryServes(entry, reach)), this.allowPrivateNetworks, reach);
  }

  /** The entry allowing `host:port` (one with allowPrivate first), or null. */
  match(host: string, port: number): AllowEntry | null {
    const canonical = canonicalHost(host);
    if (!canonical) return null;
    const matching = this.entries.filter((entry) => (entry.pattern.port === null || entry.pattern.port === port) && hostMatches(entry.pattern, canonical));
    return matching.find((entry) => entry.allowPrivate) ?? matching[0] ?? null;
  }

  /** The entry allowing `host:port`, or an OutboundBlockedError saying how to allow it. */
  requireAllowed(host: string, port: number): AllowEntry {
    const entry = this.match(host, port);
    if (!entry) {
      const shown = describeDestination(canonicalHost(host) ?? host, port);
      // The same words whether the host is missing or allowed to other departments only: nothing here tells a
      // department which hosts other departments reach.
      const reach = this.reach;
      if (!reach) throw new OutboundBlockedError(`host ${shown} is not on the outbound allowlist; an administrator must add it (addOutboundHost, or CONNECTOR_ALLOWED_HOSTS)`);
      const how = reach.configuredByAdmin
        ? 'an administrator must add it (addOutboundHost, or CONNECTOR_ALLOWED_HOSTS)'
        : `an administrator must add it for ${reach.departmentCode} (addOutboundHost with departments, or setOutboundHostDepartments)`;
      throw new OutboundBlockedError(`host ${shown} is not on the outbound allowlist of ${reach.departmentCode}; ${how}`);
    }
    return entry;
  }

  /** Refuses `address` (what `host` resolved to) unless the entry's rules allow it. */
  requireAddress(host: string, port: number, address: string, entry: AllowEntry): void {
    const problem = addressProblem(address, entry, this.allowPrivateNetworks);
    if (problem) throw new OutboundBlockedError(`${describeDestination(canonicalHost(host) ?? host, port)} refused: ${problem}`);
  }
}
