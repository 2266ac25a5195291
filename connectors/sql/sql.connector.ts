/**
 * `sql`: reads one SELECT from a department's MySQL or MariaDB database.
 *
 * Configuration (the password is the connector's secret `password`, never part of the configuration):
 *
 *   {
 *     "host": "db.sotp.nghean.gov.vn", "port": 3306, "database": "mot_cua", "user": "pilothub_ro",
 *     "query": "SELECT unit_code, day, notarizations FROM kiosk_daily WHERE day BETWEEN :from AND :to",
 *     "timeoutMs": 30000, "maxRows": 500000
 *   }
 *
 * `:from` and `:to` are the run window's first and last day ('YYYY-MM-DD'); they are sent to the server as
 * prepared-statement parameters, never pasted into the text. Each row becomes one record whose fields are
 * the query's column names; DATE columns arrive as 'YYYY-MM-DD' strings, DATETIME as 'YYYY-MM-DD HH:MM:SS'.
 * A typical mapping: `{ metric: { constant: 'NOTARIZATIONS' }, unit: { field: 'unit_code' },
 * period: { field: 'day', transform: 'dateToPeriod' }, value: { field: 'notarizations', transform: 'number' } }`.
 *
 * Read-only, three times over: the query is checked when the configuration is validated (one SELECT, no
 * INTO, no locking; see `sql-guard.ts`); the connection cannot send several statements; and the query runs
 * in a READ ONLY transaction that is rolled back. Give the connector a database user with SELECT rights
 * on its schema only, all the same: `check` reads the account's grants and warns about anything more.
 *
 * `timeoutMs` limits the statement on the server (`max_statement_time` on MariaDB, `max_execution_time` on
 * MySQL) — streaming the rows included — and, with a few seconds' grace, every wait on the client side.
 * `maxRows` stops a run whose query returns more rows than expected (BAD_PAYLOAD) instead of reading on.
 * Rows arrive in batches of {@link SQL_BATCH_SIZE}, or fewer when their text passes {@link SQL_BATCH_BYTES}; the
 * client holds at most {@link SQL_BUFFERED_ROWS} rows the hub has not taken yet, so a query of a few huge rows
 * (each up to the server's max_allowed_packet) cannot fill the hub's memory. The kind is not incremental:
 * every run reads its window.
 */
import type { Connection, FieldPacket, QueryError } from 'mysql2';
import { mysqlClient } from '../../src/common/lazy-modules';
import { z } from 'zod';
import { addDays } from '../../src/common/period';
import {
  ConnectorError,
  type CheckResult,
  type ConnectorContext,
  type ConnectorKind,
  type DiscoveredStream,
  type RawRecord,
  type ReadBatch,
  type ReadWindow,
} from '../sdk/contract';
import { grantWarnings } from './sql-grants';
import { bindPlaceholders, calledFunctions, isSystemSchema, selectQueryProblem, type BoundQuery } from './sql-guard';

export const SQL_BATCH_SIZE = 5_000;
/** A batch is handed on once its rows hold this many characters, however few they are. */
export const SQL_BATCH_BYTES = 8 * 1024 * 1024;
/** Rows the client reads ahead of the hub before it stops reading from the server. */
const SQL_BUFFERED_ROWS = 32;
/** Extra time the client waits beyond `timeoutMs` before it gives up on a silent server. */
const CLIENT_GRACE_MS = 5_000;
/** Sample rows `discover` returns. */
const SAMPLE_ROWS = 3;
/** Days (ending today, UTC) `check` binds and `discover` reads. */
const RECENT_DAYS = 7;

export const sqlConfigSchema = z
  .object({
    /** Host name or IP address of the MySQL/MariaDB server. */
    host: z
      .string()
      .trim()
      .min(1, 'host is required')
      .max(255)
      .regex(/^[A-Za-z0-9._:[\]-]+$/, 'host must be a host name or an IP address'),
    port: z.number().int().min(1).max(65_535).default(3306),
    database: z
      .string()
      .min(1, 'database is required')
      .max(64)
      .refine((name) => !isSystemSchema(name), "the database must be the department's own, not one of the server's schemas (mysql, information_schema, performance_schema, sys)"),
    user: z.string().min(1, 'user is required').max(80),
    /** One SELECT; `:from` / `:to` are bound to the window's first and last day. */
    query: z
      .string()
      .max(65_535)
      .superRefine((query, ctx) => {
        const problem = selectQueryProblem(query);
        if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
      }),
    /** Limit for the statement on the server, and (plus a grace period) for every wait on the client. */
    timeoutMs: z.number().int().min(100).max(3_600_000).default(30_000),
    /** Most rows one run may read; more fails the run. */
    maxRows: z.number().int().min(1).max(10_000_000).default(500_000),
  })
  .strict();
export type SqlConfig = z.infer<typeof sqlConfigSchema>;

// ---------------------------------------------------------------------------
// Errors

type ServerKind = 'MariaDB' | 'MySQL';

const UNAVAILABLE_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host down',
  ECONNRESET: 'connection reset',
  ECONNABORTED: 'connection aborted',
  EPIPE: 'connection closed while sending',
  PROTOCOL_CONNECTION_LOST: 'connection closed by the server',
};
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'PROTOCOL_SEQUENCE_TIMEOUT']);
/** Server errors by number. */
const TIMEOUT_ERRNOS = new Set([
  1969, // ER_STATEMENT_TIMEOUT (MariaDB max_statement_time)
  3024, // ER_QUERY_TIMEOUT (MySQL max_execution_time)
  1317, // ER_QUERY_INTERRUPTED
  1205, // ER_LOCK_WAIT_TIMEOUT
]);
const UNAVAILABLE_ERRNOS = new Set([
  1040, // ER_CON_COUNT_ERROR
  1203, // ER_TOO_MANY_USER_CONNECTIONS
  1053, // ER_SERVER_SHUTDOWN
  1077, // ER_NORMAL_SHUTDOWN
  1213, // ER_LOCK_DEADLOCK
  1927, // ER_CONNECTION_KILLED
]);
const CONFIG_ERRNOS = new Set([
  1044, // ER_DBACCESS_DENIED_ERROR
  1045, // ER_ACCESS_DENIED_ERROR
  1049, // ER_BAD_DB_ERROR
  1054, // ER_BAD_FIELD_ERROR
  1064, // ER_PARSE_ERROR
  1129, // ER_HOST_IS_BLOCKED
  1130, // ER_HOST_NOT_PRIVILEGED
  1142, // ER_TABLEACCESS_DENIED_ERROR
  1143, // ER_COLUMNACCESS_DENIED_ERROR
  1146, // ER_NO_SUCH_TABLE
  1227, // ER_SPECIFIC_ACCESS_DENIED_ERROR
  1251, // ER_NOT_SUPPORTED_AUTH_MODE
  1290, // ER_OPTION_PREVENTS_STATEMENT (e.g. --read-only)
  1305, // ER_SP_DOES_NOT_EXIST (unknown function)
  1698, // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
  1792, // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
]);

/** Replaces the password wherever it appears. */
function scrub(text: string, password: string): string {
  return password ? text.split(password).join('***') : text;
}

function describeSource(config: SqlConfig): string {
  return `${config.host}:${config.port}/${config.database}`;
}

/** Classifies what mysql2 or the network threw; anything that is not a database error is returned as is. */
function toConnectorError(error: unknown, config: SqlConfig, password: string): unknown {
  if (error instanceof ConnectorError) return error;
  const err = error as Partial<QueryError> & { errno?: number; sqlMessage?: string };
  // Duck-typed: errors from Node's own modules are not `instanceof Error` inside a Jest sandbox.
  if (typeof error !== 'object' || error === null || (typeof err.code !== 'string' && typeof err.errno !== 'number')) return error;
  const where = describeSource(config);
  const code = typeof err.code === 'string' ? err.code : '';
  const errno = typeof err.errno === 'number' ? err.errno : undefined;
  const detail = scrub((err.sqlMessage ?? err.message ?? '').replace(/\s+/g, ' ').slice(0, 500), password);
  const tag = [code, err.sqlState && `SQLSTATE ${err.sqlState}`].filter(Boolean).join(', ');
  const text = (what: string): string => `${what} (${where}): ${detail}${tag ? ` [${tag}]` : ''}`;

  if (UNAVAILABLE_CODES[code]) {
    return new ConnectorError('SOURCE_UNAVAILABLE', `cannot reach the database server ${where}: ${UNAVAILABLE_CODES[code]} [${code}]`);
  }
  if (TIMEOUT_CODES.has(code)) return new ConnectorError('TIMEOUT', text('the database server did not answer in time'));
  if (errno !== undefined) {
    const state = err.sqlState ?? '';
    if (TIMEOUT_ERRNOS.has(errno) || state === '70100') {
      return new ConnectorError('TIMEOUT', text(`the query ran longer than timeoutMs (${config.timeoutMs} ms)`));
    }
    if (UNAVAILABLE_ERRNOS.has(errno) || state.startsWith('08')) return new ConnectorError('SOURCE_UNAVAILABLE', text('the database server is unavailable'));
    if (errno === 1045 || errno === 1698 || state.startsWith('28')) {
      return new ConnectorError('CONFIG', text(`access denied: check user "${config.user}" and the password secret`));
    }
    if (CONFIG_ERRNOS.has(errno) || /^(42|3D|25|0A|21)/.test(state)) return new ConnectorError('CONFIG', text('the database refused the query'));
    if (state.startsWith('22')) return new ConnectorError('BAD_PAYLOAD', text('the database could not produce the rows'));
    return new ConnectorError(err.fatal ? 'SOURCE_UNAVAILABLE' : 'CONFIG', text('the database reported an error'));
  }
  if (err.fatal) return new ConnectorError('SOURCE_UNAVAILABLE', text('the connection to the database failed'));
  return new ConnectorError('CONFIG', text('the database client failed'));
}

// ---------------------------------------------------------------------------
// Sessions: one connection, read-only, with the statement time limit set

interface Session {
  connection: Connection;
  server: ServerKind;
  version: string;
  config: SqlConfig;
  /** The address connected to: checked by the hub's outbound policy, never resolved again. */
  address: string;
  password: string;
  signal: AbortSignal;
  /** Destroys the connection when the run is cancelled. */
  onAbort: () => void;
  /** A statement was sent and its result not read to the end. */
  inFlight: boolean;
}

/**
 * Connections that failed (closed by the server, reset), with their error. mysql2 emits it on the connection
 * but does not end a row stream in progress, whose reader would wait for rows until its time limit: every wait
 * (guarded) fails with it instead, at once.
 */
const lostConnections = new WeakMap<Connection, unknown>();

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('the read was cancelled');
}

/**
 * Waits for `work`, but no longer than `ms`, and no longer than the run lasts: on time-out or cancellation
 * the connection is destroyed (the server rolls back and stops sending) and the wait rejects.
 */
function guarded<T>(work: Promise<T>, connection: Connection, signal: AbortSignal, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      connection.off('error', onLost);
    };
    const onLost = (error: unknown): void => {
      cleanup();
      reject(error);
    };
    const onAbort = (): void => {
      cleanup();
      connection.destroy();
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      cleanup();
      connection.destroy();
      reject(new ConnectorError('TIMEOUT', `the database server did not answer within ${ms} ms (${what})`));
    }, ms);
    if (signal.aborted) {
      onAbort();
      return;
    }
    if (lostConnections.has(connection)) {
      onLost(lostConnections.get(connection));
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    connection.once('error', onLost);
    work.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}

function run<T = unknown>(connection: Connection, sql: string, values: unknown[] = []): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    connection.query(sql, values, (error, result) => (error ? reject(error) : resolve(result as T)));
  });
}

function execute<T = unknown>(connection: Connection, query: BoundQuery): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    connection.execute({ sql: query.sql, values: query.values }, (error, result) => (error ? reject(error) : resolve(result as T)));
  });
}

/** Column names the statement returns, from the server's answer to PREPARE (nothing is executed). */
function preparedColumns(connection: Connection, sql: string): Promise<string[]> {
  return new Promise<string[]>((resolve, reject) => {
    connection.prepare(sql, (error, statement) => {
      if (error) return reject(error);
      const columns = ((statement as unknown as { columns?: FieldPacket[] }).columns ?? []).map((column) => column.name);
      statement.close();
      resolve(columns);
    });
  });
}

async function openSession(config: SqlConfig, context: ConnectorContext): Promise<Session> {
  context.signal.throwIfAborted();
  const password = context.secrets.password ?? '';
  const address = context.connectAddress ? await context.connectAddress(config.host, config.port) : config.host;
  const connection = mysqlClient().createConnection({
    host: address,
    port: config.port,
    user: config.user,
    password,
    database: config.database,
    multipleStatements: false,
    // No LOAD DATA LOCAL: the server may never ask the hub for a file.
    flags: ['-LOCAL_FILES', '-MULTI_STATEMENTS'],
    dateStrings: true,
    supportBigNumbers: true,
    decimalNumbers: true,
    connectTimeout: Math.min(config.timeoutMs, 30_000),
  });
  // A connection that fails emits 'error': remembered, so that the wait in progress, or the next one, fails with it.
  connection.on('error', (error) => lostConnections.set(connection, error));
  const onAbort = (): void => connection.destroy();
  context.signal.addEventListener('abort', onAbort, { once: true });
  const session: Session = { connection, server: 'MySQL', version: '', config, address, password, signal: context.signal, onAbort, inFlight: false };
  const wait = <T>(work: Promise<T>, what: string): Promise<T> =>
    guarded(work, connection, context.signal, config.timeoutMs + CLIENT_GRACE_MS, what);
  try {
    await wait(
      new Promise<void>((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve()))),
      'connecting',
    );
    const [{ version }] = await wait(run<Array<{ version: string }>>(connection, 'SELECT VERSION() AS version'), 'reading the version');
    session.version = String(version);
    session.server = /mariadb/i.test(session.version) ? 'MariaDB' : 'MySQL';
    await wait(run(connection, 'SET SESSION TRANSACTION READ ONLY'), 'starting a read-only session');
    await wait(setStatementTimeout(session), 'setting the statement time limit');
    await wait(run(connection, 'START TRANSACTION READ ONLY'), 'starting a read-only transaction');
    return session;
  } catch (error) {
    void closeSession(session, false);
    throw context.signal.aborted ? abortReason(context.signal) : toConnectorError(error, config, password);
  }
}

async function setStatementTimeout(session: Session): Promise<void> {
  const { connection, config } = session;
  try {
    if (session.server === 'MariaDB') await run(connection, 'SET SESSION max_statement_time = ?', [config.timeoutMs / 1000]);
    else await run(connection, 'SET SESSION max_execution_time = ?', [config.timeoutMs]);
  } catch (error) {
    // Servers too old for a statement time limit (MySQL < 5.7.8, MariaDB < 10.1) rely on the client's timer.
    if ((error as { errno?: number }).errno !== 1193) throw error;
  }
}

/**
 * Closing a socket does not stop a statement the server is still working on (a slow join, a SLEEP): it runs
 * until it next writes, or until the statement time limit. So when a read is abandoned mid-statement, a
 * second, short-lived connection asks the server to stop it (any user may KILL QUERY its own threads).
 */
function stopStatement(session: Session): void {
  const threadId = session.connection.threadId;
  if (!Number.isInteger(threadId) || threadId <= 0) return;
  const { config, password } = session;
  const killer = mysqlClient().createConnection({
    host: session.address,
    port: config.port,
    user: config.user,
    password,
    multipleStatements: false,
    flags: ['-LOCAL_FILES', '-MULTI_STATEMENTS'],
    connectTimeout: 5_000,
  });
  killer.on('error', () => undefined);
  killer.query(`KILL QUERY ${threadId}`, () => killer.end(() => undefined));
}

/** Ends the session: rolls back and closes when the connection is usable, otherwise destroys it. */
function closeSession(session: Session, clean: boolean): Promise<void> {
  const { connection, signal } = session;
  signal.removeEventListener('abort', session.onAbort);
  if (!clean || signal.aborted) {
    connection.destroy();
    if (session.inFlight) stopStatement(session);
    return Promise.resolve();
  }
  return guarded(
    run(connection, 'ROLLBACK').then(
      () => new Promise<void>((resolve) => connection.end(() => resolve())),
    ),
    connection,
    signal,
    CLIENT_GRACE_MS,
    'closing',
  ).catch(() => connection.destroy());
}

/**
 * Refuses a query that calls a name the connection's database defines as a stored function. The guard only
 * lets built-in names through, but a server without that built-in (MySQL 5.7 has no REGEXP_REPLACE nor window
 * functions, MySQL no NVL) calls the database's function of the same name instead, with its definer's rights.
 * The account sees the functions it may execute, so every function it could call is among them.
 */
async function requireNoStoredFunctions(session: Session): Promise<void> {
  const called = new Set(calledFunctions(session.config.query));
  if (called.size === 0) return;
  const rows = await run<Array<{ name: string }>>(
    session.connection,
    "SELECT ROUTINE_NAME AS name FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_TYPE = 'FUNCTION'",
  );
  const shadowed = rows.map((row) => String(row.name)).filter((name) => called.has(name.toUpperCase()));
  if (shadowed.length > 0) {
    throw new ConnectorError(
      'CONFIG',
      `query: the database ${session.config.database} defines the function(s) ${shadowed.join(', ')}, which the query calls by name: ` +
        'the server could run the stored function instead of the built-in one; rename or drop the stored function(s)',
      false,
    );
  }
}

function recentWindow(): ReadWindow {
  const today = new Date().toISOString().slice(0, 10);
  return { from: addDays(today, -(RECENT_DAYS - 1)), to: today };
}

function bind(config: SqlConfig, window: ReadWindow): BoundQuery {
  try {
    return bindPlaceholders(config.query, window);
  } catch (error) {
    throw new ConnectorError('CONFIG', `query: ${error instanceof Error ? error.message : String(error)}`, false);
  }
}

/** About how much memory a row's values take: their characters or bytes. */
function rowSize(row: RawRecord): number {
  let size = 0;
  for (const value of Object.values(row)) {
    if (typeof value === 'string') size += value.length;
    else if (Buffer.isBuffer(value)) size += value.length;
    else size += 8;
  }
  return size;
}

/**
 * Streams the rows of the query for `window`, in batches of `batchSize`, with the server's back-pressure:
 * the connection is paused while a batch is being handled. `onFields` receives the column names first.
 * Returning early (or failing) destroys the connection; reading to the end rolls back and closes it.
 */
async function* streamRows(
  config: SqlConfig,
  window: ReadWindow,
  context: ConnectorContext,
  batchSize: number,
  onFields?: (names: string[]) => void,
): AsyncGenerator<RawRecord[]> {
  const query = bind(config, window);
  const session = await openSession(config, context);
  const { connection } = session;
  let clean = false;
  try {
    try {
      await guarded(requireNoStoredFunctions(session), connection, context.signal, config.timeoutMs + CLIENT_GRACE_MS, 'listing the database’s functions');
    } catch (error) {
      clean = !context.signal.aborted && (error instanceof ConnectorError || typeof (error as Partial<QueryError>).sqlState === 'string');
      throw context.signal.aborted ? abortReason(context.signal) : toConnectorError(error, config, session.password);
    }
    session.inFlight = true;
    const stream = connection.execute({ sql: query.sql, values: query.values }).stream({ highWaterMark: Math.min(batchSize, SQL_BUFFERED_ROWS) });
    if (onFields) stream.on('fields', (fields: FieldPacket[]) => onFields(fields.map((field) => field.name)));
    const rows = stream[Symbol.asyncIterator]() as AsyncIterator<RawRecord>;
    let batch: RawRecord[] = [];
    let batchBytes = 0;
    let count = 0;
    for (;;) {
      let next: IteratorResult<RawRecord>;
      try {
        next = await guarded(rows.next(), connection, context.signal, config.timeoutMs + CLIENT_GRACE_MS, 'reading rows');
      } catch (error) {
        // A server-side error (e.g. the statement time limit) leaves the connection usable for ROLLBACK.
        const serverError = error as Partial<QueryError>;
        clean = !context.signal.aborted && typeof serverError.sqlState === 'string' && serverError.fatal !== true;
        if (clean) session.inFlight = false;
        throw context.signal.aborted ? abortReason(context.signal) : toConnectorError(error, config, session.password);
      }
      if (next.done) {
        session.inFlight = false;
        break;
      }
      count += 1;
      if (count > config.maxRows) {
        throw new ConnectorError(
          'BAD_PAYLOAD',
          `the query returned more than maxRows (${config.maxRows}) rows for ${window.from}..${window.to} (${describeSource(config)}); narrow the query or raise maxRows`,
          false,
        );
      }
      batch.push({ ...next.value });
      batchBytes += rowSize(next.value);
      if (batch.length >= batchSize || batchBytes >= SQL_BATCH_BYTES) {
        yield batch;
        batch = [];
        batchBytes = 0;
      }
    }
    clean = true;
    if (batch.length > 0) yield batch;
  } finally {
    await closeSession(session, clean);
  }
}

// ---------------------------------------------------------------------------
// The kind

export const sqlConnector: ConnectorKind<SqlConfig> = {
  kind: 'sql',
  pulled: true,
  description: 'Reads one SELECT from a MySQL or MariaDB database, read-only, with the window bound to :from and :to.',
  configSchema: sqlConfigSchema,
  secretNames: ['password'],

  endpoints(config) {
    // The host may be a bracketed IPv6 literal; the policy compares it in URL form.
    return [{ field: 'host', host: config.host, port: config.port }];
  },

  async check(config: SqlConfig, context: ConnectorContext): Promise<CheckResult> {
    const password = context.secrets.password ?? '';
    let session: Session | undefined;
    let clean = false;
    try {
      const query = bind(config, recentWindow());
      session = await openSession(config, context);
      const current = session;
      const wait = <T>(work: Promise<T>, what: string): Promise<T> =>
        guarded(work, current.connection, context.signal, config.timeoutMs + CLIENT_GRACE_MS, what);
      const grants = await wait(run<Array<Record<string, unknown>>>(current.connection, 'SHOW GRANTS'), 'reading the account’s grants');
      const warnings = grantWarnings(grants.map((row) => String(Object.values(row)[0] ?? '')), config.database, config.user);
      await wait(requireNoStoredFunctions(current), 'listing the database’s functions');
      current.inFlight = true;
      const columns = await wait(preparedColumns(current.connection, query.sql), 'preparing the query');
      await wait(execute(current.connection, { sql: `EXPLAIN ${query.sql}`, values: query.values }), 'explaining the query');
      current.inFlight = false;
      clean = true;
      return {
        ok: true,
        message:
          `connected to ${current.server} ${current.version} at ${describeSource(config)} as ${config.user}; ` +
          `the query is a valid read-only SELECT returning ${columns.length} column(s): ${columns.join(', ')}`,
        warnings,
      };
    } catch (error) {
      if (context.signal.aborted) throw abortReason(context.signal);
      const failure = toConnectorError(error, config, password);
      const message = (failure as { message?: unknown }).message;
      return { ok: false, message: scrub(typeof message === 'string' ? message : String(failure), password) };
    } finally {
      if (session) await closeSession(session, clean);
    }
  },

  async discover(config: SqlConfig, context: ConnectorContext): Promise<DiscoveredStream[]> {
    let fields: string[] = [];
    const sample: RawRecord[] = [];
    const rows = streamRows(config, recentWindow(), context, SAMPLE_ROWS, (names) => {
      fields = names;
    });
    // Only the first few rows are wanted: leaving the loop early destroys the connection.
    for await (const batch of rows) {
      sample.push(...batch.slice(0, SAMPLE_ROWS - sample.length));
      if (sample.length >= SAMPLE_ROWS) break;
    }
    return [{ name: 'query', fields, sample }];
  },

  async *read(config: SqlConfig, window: ReadWindow, _state: unknown, context: ConnectorContext): AsyncIterable<ReadBatch> {
    for await (const records of streamRows(config, window, context, SQL_BATCH_SIZE)) {
      yield { records };
    }
  },
};
