/**
 * The contract every connector kind implements. A kind knows how to reach one sort of department system
 * (a JSON API, a CSV file, a SQL database, a DHIS2 server …) and turn what it finds into raw records; the hub
 * maps those records to observations with the connector's mapping and sends them through the one ingestion
 * path, which validates, stores and records them.
 *
 * To add a kind: create `connectors/<kind>/<kind>.connector.ts` exporting a {@link ConnectorKind}, register it
 * in `connectors/registry.ts`, and test it against a real HTTP server (see `connectors/sdk/testing.ts`).
 */
import type { z } from 'zod';
import type { HttpClient } from './http-client';

/**
 * Failure classes recorded in the run ledger. Only SOURCE_UNAVAILABLE and TIMEOUT are retried.
 * OUTBOUND_BLOCKED: the hub's outbound policy refused the destination (a host not on the allowlist, or an
 * address connectors may not reach, such as loopback or the cloud metadata service).
 */
export type ConnectorErrorClass = 'SOURCE_UNAVAILABLE' | 'TIMEOUT' | 'BAD_PAYLOAD' | 'CONFIG' | 'OUTBOUND_BLOCKED' | 'INTERNAL';

/** An error a connector raises on purpose, classified for the run ledger and for retries. */
export class ConnectorError extends Error {
  constructor(
    readonly errorClass: ConnectorErrorClass,
    message: string,
    /** Whether trying again later may succeed (network trouble, HTTP 5xx, timeouts). */
    readonly retryable: boolean = errorClass === 'SOURCE_UNAVAILABLE' || errorClass === 'TIMEOUT',
  ) {
    super(message);
    this.name = 'ConnectorError';
  }
}

/** The inclusive range of days a run reads (`YYYY-MM-DD`). */
export interface ReadWindow {
  from: string;
  to: string;
}

/** What a connector gets from the hub for one call. */
export interface ConnectorContext {
  /** Aborted when the run is cancelled or the hub shuts down; pass it to every I/O call. */
  signal: AbortSignal;
  /** HTTP client with timeouts, a response size limit and safe retries. */
  http: HttpClient;
  /** Credentials of the connector by name (write-only in the API, never logged). */
  secrets: Readonly<Record<string, string>>;
  /**
   * For kinds that open their own TCP connections (sql): checks `host:port` against the hub's outbound policy,
   * resolves the name once and returns the checked address to connect to (never resolve the name again).
   * Throws a ConnectorError of class OUTBOUND_BLOCKED when the destination is refused. The hub always sets it.
   */
  connectAddress?: (host: string, port: number) => Promise<string>;
  /** Frequency of each known metric, for transforms that turn dates into periods. */
  metricFrequencies: ReadonlyMap<string, 'DAY' | 'WEEK' | 'MONTH' | 'QUARTER' | 'YEAR'>;
}

/** A record as the source gives it: field names and values are the source's own. */
export type RawRecord = Record<string, unknown>;

/** One batch read from the source; the hub stores each batch atomically. */
export interface ReadBatch {
  records: RawRecord[];
  /** Incremental state after this batch (e.g. a cursor or the last modified time), resumed by the next run. */
  state?: unknown;
}

export interface CheckResult {
  ok: boolean;
  /** What was checked and what was found, for the person registering the connector. */
  message: string;
  /** What works but should be changed (e.g. a database account with more rights than it needs). */
  warnings?: string[];
}

/** A stream of records the source offers and the fields its records carry. */
export interface DiscoveredStream {
  name: string;
  fields: string[];
  /** A few records as read, to help write the mapping. */
  sample: RawRecord[];
}

/** A host the configuration makes the connector reach, and the configuration field that names it. */
export interface OutboundEndpoint {
  /** Dotted path in the configuration, e.g. `url` or `source.url`. */
  field: string;
  host: string;
  port: number;
}

/** The endpoint of an http(s) URL (default port by scheme); the URL is assumed valid. */
export function urlEndpoint(field: string, text: string): OutboundEndpoint {
  const url = new URL(text);
  return { field, host: url.hostname, port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80 };
}

export interface ConnectorKind<Config = unknown> {
  /** Identifier stored with each connector, e.g. `http-json`. */
  readonly kind: string;
  readonly description: string;
  /**
   * Whether the hub pulls the records (a schedule, or a manual run, reads the source) or the department pushes
   * them (`submitObservations`, `POST /ingest/<id>`). A pushed kind has no schedule and nothing to run, its mapping
   * defaults to the identity, and only connectors of a pushed kind accept pushed rows.
   */
  readonly pulled: boolean;
  /**
   * Validates and normalises the configuration; errors name the offending path. The schema of every kind is
   * reachable from its definition (`connectorKind(name).configSchema`, see registry.ts).
   */
  readonly configSchema: z.ZodType<Config, z.ZodTypeDef, unknown>;
  /** Names of the secrets the configuration may refer to (e.g. `token`). */
  readonly secretNames: readonly string[];
  /**
   * Hosts a (validated) configuration reaches, checked against the outbound allowlist when the connector is
   * registered, changed, tested and run. Hosts found while reading (redirects, next links) are checked as
   * they are contacted.
   */
  endpoints(config: Config): OutboundEndpoint[];
  /** Can the source be reached with this configuration? Never throws for an unreachable source. */
  check(config: Config, context: ConnectorContext): Promise<CheckResult>;
  /** Which records the source offers. */
  discover(config: Config, context: ConnectorContext): Promise<DiscoveredStream[]>;
  /** Reads the records of a window, in batches, resuming from `state` when the kind is incremental. */
  read(config: Config, window: ReadWindow, state: unknown, context: ConnectorContext): AsyncIterable<ReadBatch>;
}
