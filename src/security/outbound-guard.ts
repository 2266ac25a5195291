/**
 * The outbound guard connectors go through. Each registration, test and run takes a {@link OutboundSession}:
 * the allowlist entries the connector may use (see ConnectorReach) as they are at that moment, an undici dispatcher whose connect step checks every connection
 * (redirect hops and next links included), and `connectAddress` for kinds that open their own sockets (sql).
 * A connection checks the host against the allowlist, resolves it once, checks every address the name
 * resolves to, and connects to the checked address — no second resolution a DNS-rebinding answer could change.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { DataSource } from 'typeorm';
import { Agent, buildConnector } from 'undici';
import { OutboundHost } from '../modules/outbound/outbound-host.entity';
import { departmentIdsByEntry } from '../modules/outbound/outbound-host.service';
import { OutboundBlockedError, OutboundPolicy, parseHostPattern, type AllowEntry, type ConnectorReach, type HostPattern } from './outbound-policy';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to all its addresses (replaceable in tests). */
export type HostLookup = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemLookup: HostLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface OutboundGuardOptions {
  /** CONNECTOR_ALLOWED_HOSTS. */
  allowedHosts: readonly HostPattern[];
  /** CONNECTOR_ALLOW_PRIVATE_NETWORKS. */
  allowPrivateNetworks: boolean;
  lookup?: HostLookup;
}

/** One operation's view of the allowlist, with the dispatcher and address check built on it. */
export class OutboundSession {
  readonly dispatcher: Agent;

  constructor(
    readonly policy: OutboundPolicy,
    private readonly lookup: HostLookup,
  ) {
    const connect = buildConnector({});
    this.dispatcher = new Agent({
      connect: (options, callback) => {
        const port = Number(options.port) || (options.protocol === 'https:' ? 443 : 80);
        this.connectAddress(options.hostname, port).then(
          // The original host stays in `host`, so TLS still verifies the certificate for the name (SNI).
          (address) => connect({ ...options, hostname: address }, callback),
          (error: Error) => callback(error, null),
        );
      },
    });
  }

  /** Checks `host:port` and returns the address to connect to; OutboundBlockedError when refused. */
  async connectAddress(host: string, port: number): Promise<string> {
    const bare = host.replace(/^\[|\]$/g, '');
    const entry: AllowEntry = this.policy.requireAllowed(host, port);
    if (isIP(bare)) {
      this.policy.requireAddress(host, port, bare, entry);
      return bare;
    }
    let addresses: ResolvedAddress[];
    try {
      addresses = await this.lookup(bare);
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw Object.assign(new Error(`cannot resolve ${bare}: ${code ?? (error as Error).message}`), { code: code ?? 'ENOTFOUND' });
    }
    if (addresses.length === 0) throw Object.assign(new Error(`${bare} has no address`), { code: 'ENOTFOUND' });
    // Every answer must be acceptable: a name that also points inside the network is refused outright.
    for (const { address } of addresses) this.policy.requireAddress(host, port, address, entry);
    return addresses[0].address;
  }

  async close(): Promise<void> {
    await this.dispatcher.destroy();
  }
}

/** Builds sessions from the `outbound_host` table and the configured hosts. */
export class OutboundGuard {
  private readonly configured: AllowEntry[];

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: OutboundGuardOptions,
  ) {
    this.configured = options.allowedHosts.map((pattern) => ({ pattern, allowPrivate: false }));
  }

  /**
   * The allowlist entries a connector of `reach` may use, as they are now (read on every call: another process or
   * an administrator may have changed them). CONNECTOR_ALLOWED_HOSTS entries are granted to no department.
   */
  async policy(reach: ConnectorReach): Promise<OutboundPolicy> {
    const rows = await this.dataSource.getRepository(OutboundHost).find();
    const grants = await departmentIdsByEntry(this.dataSource);
    const stored = rows.flatMap((row): AllowEntry[] => {
      try {
        return [{ pattern: parseHostPattern(row.pattern), allowPrivate: row.allowPrivate, departmentIds: grants.get(row.id) ?? [] }];
      } catch {
        return []; // a row edited by hand into something unreadable allows nothing
      }
    });
    return new OutboundPolicy([...this.configured, ...stored], this.options.allowPrivateNetworks).forConnector(reach);
  }

  async session(reach: ConnectorReach): Promise<OutboundSession> {
    return new OutboundSession(await this.policy(reach), this.options.lookup ?? systemLookup);
  }
}

export { OutboundBlockedError };
