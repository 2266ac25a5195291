import type { DestinationStream } from 'pino';
import type { DataSource } from 'typeorm';
import { startHub, type Hub } from '../../src/app';
import { loadConfig, type HubConfig } from '../../src/config';
import { startHubServices, type HubServices } from '../../src/hub-services';
import { createLogger } from '../../src/observability/logger';
import { HubMetrics } from '../../src/observability/metrics';
import type { HostLookup } from '../../src/security/outbound-guard';
import { allowServer, allowServerIn, TEST_SECRETS_KEYS } from './outbound';
import { openTestDatabase, type TestDatabase } from './test-database';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string; field?: string } }>;
}

export interface TestHub extends TestDatabase {
  hub: Hub;
  services: HubServices;
  hubConfig: HubConfig;
  /** Headers that authenticate a request as an administrator; spread them into raw HTTP requests. */
  headers: Record<string, string>;
  /** Sends one GraphQL operation over HTTP to the running hub, as the administrator unless `headers` say otherwise. */
  graphql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  /** Lets connectors reach a local test server (an exact host:port allowlist entry with allowPrivate). */
  allowServer(serverUrl: string): Promise<void>;
  close(): Promise<void>;
}

/** The PILOTHUB_ADMIN_KEY of every test hub (and of hub processes the tests start). */
/**
 * Environment that keeps a test hub's periodic work (schedule refresh, interrupted-run sweep) out of the way of
 * tests that count SQL statements.
 */
export const QUIET_BACKGROUND = { SCHEDULE_REFRESH_SECONDS: '3600', RUN_HEARTBEAT_SECONDS: '600' } as const;

export const TEST_ADMIN_KEY = 'ph_test-admin-key-0123456789abcdefghijklmnopqrstuvwxyz';
export const TEST_ADMIN_HEADERS: Readonly<Record<string, string>> = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

/** A real hub on a free port over a freshly migrated (and by default seeded) test database. */
export async function startTestHub(
  options: {
    seed?: boolean;
    environment?: Record<string, string>;
    /** Local servers connectors may reach (exact host:port entries with allowPrivate, as allowServer adds). */
    allowServers?: string[];
    /** Departments those allowlist entries are granted to (default none: administrator-configured connectors only). */
    allowServersFor?: string[];
    /** Host name resolution of the outbound guard. */
    lookup?: HostLookup;
    /** Receives the hub's log lines (JSON, level debug); default: no logging. */
    logDestination?: DestinationStream;
  } = {},
): Promise<TestHub> {
  const database = await openTestDatabase({ seed: options.seed });
  // Written before the hub serves, so no request (metrics, statement counts) is spent on it.
  for (const server of options.allowServers ?? []) await allowServerIn(database.dataSource, server, options.allowServersFor);
  const hubConfig: HubConfig = {
    ...loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      CONNECTOR_MAX_ATTEMPTS: '2',
      CONNECTOR_TIMEOUT_SECONDS: '1.5',
      PILOTHUB_ADMIN_KEY: TEST_ADMIN_KEY,
      // Rate limits off unless a test sets them: load tests send far more than a caller's allowance.
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_BURST: '0',
      RATE_LIMIT_AUTH_FAILURES: '0',
      SECRETS_KEYS: TEST_SECRETS_KEYS,
      ...options.environment,
    }),
    database: database.config,
  };
  const reported: unknown[] = [];
  const reportError = (error: unknown) => reported.push(error);
  const logger = options.logDestination
    ? createLogger({ level: 'debug', pretty: false }, options.logDestination)
    : createLogger({ level: 'silent', pretty: false });
  const metrics = new HubMetrics(database.dataSource, { timeZone: hubConfig.timeZone });
  const services = await startHubServices(hubConfig, database.dataSource, { reportError, logger, metrics, retryDelay: () => 50, lookup: options.lookup });
  const hub = await startHub(hubConfig, database.dataSource, {
    logger,
    metrics,
    reportError,
    connectors: services.operations,
    schedulerRunning: () => services.schedules.running,
    secretKeyIds: services.secrets.box?.keyIds,
  });
  const adminHeaders: Record<string, string> = { ...TEST_ADMIN_HEADERS };
  return {
    ...database,
    hub,
    hubConfig,
    headers: adminHeaders,
    async graphql(query, variables, headers) {
      // An empty value drops a default header: `{ authorization: '' }` sends no credentials.
      const sent = Object.fromEntries(
        Object.entries({ 'content-type': 'application/json', ...adminHeaders, ...headers }).filter(([, value]) => value !== ''),
      );
      const response = await fetch(hub.url, {
        method: 'POST',
        headers: sent,
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as GraphQLResponse;
      return { status: response.status, data: body.data as never, errors: body.errors };
    },
    services,
    allowServer: (serverUrl) => allowServer(hub.url, serverUrl, adminHeaders),
    async close() {
      await services.schedules.stop(2_000);
      await hub.stop();
      await services.stop(2_000);
      await closeDatabase(database.dataSource);
      if (reported.length > 0) throw new Error(`unexpected server errors: ${reported.map(String).join('; ')}`);
    },
  };
}

export async function closeDatabase(dataSource: DataSource): Promise<void> {
  if (dataSource.isInitialized) await dataSource.destroy();
}
