/**
 * The `sql` kind against the machine's MariaDB (127.0.0.1:3306, root, empty password), always available here
 * and in CI: the suite fails, with a clear message, when it is not.
 */
import net from 'node:net';
import { createConnection, type Connection } from 'mysql2/promise';
import { addDays } from '../../src/common/period';
import { ConnectorError } from '../sdk/contract';
import { collect, testContext } from '../sdk/testing';
import { sqlConfigSchema, sqlConnector, SQL_BATCH_BYTES, SQL_BATCH_SIZE, type SqlConfig } from './sql.connector';

const SERVER = { host: '127.0.0.1', port: 3306 };
const DATABASE = `pilothub_sqlsrc_${process.pid}`;
const READER = `pilothub_ro_${process.pid}`;
const READER_PASSWORD = `Ro-secret-${process.pid}-xK9q`;
/** The account the README tells departments to create: SELECT on the schema, nothing else. */
const LEAST = `pilothub_least_${process.pid}`;
/** An account with too many rights: FILE and PROCESS on the server, and the accounts table. */
const BROAD = `pilothub_broad_${process.pid}`;
const OTHER_PASSWORD = `Other-secret-${process.pid}-pQ2`;
const UNITS = 300;
const MARCH_DAYS = 31;
const TODAY = new Date().toISOString().slice(0, 10);

const unitCode = (n: number): string => String(400 + n);
const unitName = (n: number): string => (n % 2 === 0 ? `Phường Hưng Bình ${n}` : `Xã Nghi Phú ${n}`);

let admin: Connection;

async function connectAsRoot(): Promise<Connection> {
  try {
    return await createConnection({ ...SERVER, user: 'root', password: '', connectTimeout: 5_000 });
  } catch (error) {
    throw new Error(
      `these tests need MariaDB at ${SERVER.host}:${SERVER.port} (user root, empty password), which is always available ` +
        `here and in CI; connecting failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** A TCP port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function config(overrides: Partial<Record<keyof SqlConfig, unknown>> = {}): unknown {
  return {
    ...SERVER,
    database: DATABASE,
    user: READER,
    query: 'SELECT unit_code, unit_name, day, notarizations FROM kiosk_daily WHERE day BETWEEN :from AND :to ORDER BY day, unit_code',
    ...overrides,
  };
}

/** A query that runs far longer than any limit here (a three-way cross join of 9,330 rows), without SLEEP. */
const SLOW_QUERY = 'SELECT COUNT(*) AS slept FROM kiosk_daily a CROSS JOIN kiosk_daily b CROSS JOIN kiosk_daily c';

const readerContext = () => testContext({ secrets: { password: READER_PASSWORD } });

async function readError(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

/** Connections the reader user still holds open on the server. */
async function readerConnections(): Promise<number> {
  const [rows] = await admin.query('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = ?', [READER]);
  return Number((rows as Array<{ n: number }>)[0].n);
}

async function expectNoReaderConnections(): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    if ((await readerConnections()) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(await readerConnections()).toBe(0);
}

beforeAll(async () => {
  admin = await connectAsRoot();
  await admin.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``);
  await admin.query(`CREATE DATABASE \`${DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.query(`USE \`${DATABASE}\``);
  await admin.query(
    'CREATE TABLE kiosk_daily (unit_code varchar(10) NOT NULL, unit_name varchar(100) NOT NULL, day date NOT NULL, notarizations int NOT NULL, PRIMARY KEY (unit_code, day))',
  );
  await admin.query('CREATE TABLE audit (note varchar(100))');
  // A function that writes, and a view calling it: a SELECT of the view passes the guard, so only the read-only transaction stops it.
  await admin.query(
    "CREATE FUNCTION bump() RETURNS int MODIFIES SQL DATA NOT DETERMINISTIC BEGIN INSERT INTO audit VALUES ('written'); RETURN 1; END",
  );
  await admin.query('CREATE VIEW bumping AS SELECT bump() AS bumped');

  // March 2024 for 300 units (9,300 rows), February 2024 and April 2024 around it, and the last 7 days for a few units.
  const rows: Array<[string, string, string, number]> = [];
  for (let n = 0; n < UNITS; n++) {
    for (let day = 1; day <= MARCH_DAYS; day++) rows.push([unitCode(n), unitName(n), `2024-03-${String(day).padStart(2, '0')}`, n + day]);
  }
  for (let n = 0; n < 5; n++) {
    rows.push([unitCode(n), unitName(n), '2024-02-29', 1000 + n]);
    rows.push([unitCode(n), unitName(n), '2024-04-01', 2000 + n]);
    for (let back = 0; back < 3; back++) rows.push([unitCode(n), unitName(n), addDays(TODAY, -back), 3000 + n]);
  }
  for (let start = 0; start < rows.length; start += 2_000) {
    await admin.query('INSERT INTO kiosk_daily (unit_code, unit_name, day, notarizations) VALUES ?', [rows.slice(start, start + 2_000)]);
  }

  await admin.query(`DROP USER IF EXISTS '${READER}'@'%'`);
  await admin.query(`CREATE USER '${READER}'@'%' IDENTIFIED BY '${READER_PASSWORD}'`);
  await admin.query(`GRANT SELECT, EXECUTE ON \`${DATABASE}\`.* TO '${READER}'@'%'`);
  for (const user of [LEAST, BROAD]) {
    await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
    await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${OTHER_PASSWORD}'`);
    await admin.query(`GRANT SELECT ON \`${DATABASE}\`.* TO '${user}'@'%'`);
  }
  await admin.query(`GRANT FILE, PROCESS ON *.* TO '${BROAD}'@'%'`);
  await admin.query(`GRANT SELECT ON mysql.user TO '${BROAD}'@'%'`);
});

afterAll(async () => {
  if (!admin) return;
  for (const user of [READER, LEAST, BROAD]) await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
  await admin.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``);
  await admin.end();
});

describe('sql configuration', () => {
  it('applies defaults and accepts a SELECT with :from and :to', () => {
    const parsed = sqlConfigSchema.parse(config());
    expect(parsed).toMatchObject({ port: 3306, timeoutMs: 30_000, maxRows: 500_000 });
    expect(sqlConnector.secretNames).toEqual(['password']);
  });

  it.each([
    ['a UNION of SELECTs', 'SELECT unit_code FROM kiosk_daily WHERE day >= :from UNION SELECT unit_code FROM kiosk_daily WHERE day <= :to'],
    ['a WITH … SELECT', 'WITH m AS (SELECT * FROM kiosk_daily WHERE day BETWEEN :from AND :to) SELECT unit_code, SUM(notarizations) AS n FROM m GROUP BY unit_code'],
    ['placeholders inside strings and comments', "SELECT ':from' AS literal, day FROM kiosk_daily -- :to is bound below\nWHERE day <= :to"],
    ['a harmless comment with a semicolon', 'SELECT 1 AS one /* ; DROP TABLE kiosk_daily */'],
    ['a trailing semicolon', 'SELECT unit_code FROM kiosk_daily;'],
  ])('accepts %s', (_name, query) => {
    expect(sqlConfigSchema.safeParse(config({ query })).success).toBe(true);
  });

  it.each([
    ['INSERT', "INSERT INTO kiosk_daily VALUES ('1', 'x', '2024-01-01', 1)"],
    ['UPDATE', 'UPDATE kiosk_daily SET notarizations = 0'],
    ['DELETE', 'DELETE FROM kiosk_daily'],
    ['DROP', 'DROP TABLE kiosk_daily'],
    ['two statements', 'SELECT 1; DROP TABLE x'],
    ['SELECT … INTO OUTFILE', "SELECT * FROM kiosk_daily INTO OUTFILE '/tmp/kiosk.csv'"],
    ['SELECT … INTO DUMPFILE', "SELECT unit_code FROM kiosk_daily INTO DUMPFILE '/tmp/kiosk.bin'"],
    ['SELECT … INTO @variable', 'SELECT unit_code INTO @code FROM kiosk_daily LIMIT 1'],
    ['SELECT … FOR UPDATE', 'SELECT * FROM kiosk_daily FOR UPDATE'],
    ['SELECT … LOCK IN SHARE MODE', 'SELECT * FROM kiosk_daily LOCK IN SHARE MODE'],
    ['a locking subquery', 'SELECT * FROM (SELECT * FROM kiosk_daily FOR UPDATE) AS k'],
    ['a comment before DELETE', '/* */ DELETE FROM kiosk_daily'],
    ['a statement hidden in an executable comment', 'SELECT 1 /*!50000 ; DROP TABLE kiosk_daily */'],
    ['an optimizer hint lifting the time limit', 'SELECT /*+ SET_VAR(max_statement_time=0) */ 1'],
    ['LOAD_FILE', "SELECT LOAD_FILE('/etc/passwd') AS f"],
    ['a positional placeholder', 'SELECT * FROM kiosk_daily WHERE day = ?'],
    ['an unknown placeholder', 'SELECT * FROM kiosk_daily WHERE unit_code = :unit'],
    ['text that does not parse', 'SELEKT * FROM kiosk_daily'],
    ['an empty query', '   '],
  ])('refuses %s with an issue at "query"', (_name, query) => {
    const result = sqlConfigSchema.safeParse(config({ query }));
    expect(result.success).toBe(false);
    const issues = result.success ? [] : result.error.issues;
    expect(issues.map((issue) => issue.path)).toEqual([['query']]);
    expect(issues[0].message.length).toBeGreaterThan(10);
  });

  it('names the offending field and refuses unknown fields', () => {
    const result = sqlConfigSchema.safeParse({ ...(config() as object), host: '', port: 0, password: 'x' });
    expect(result.success).toBe(false);
    const paths = result.success ? [] : result.error.issues.map((issue) => issue.path.join('.') || issue.message);
    expect(paths).toEqual(expect.arrayContaining(['host', 'port']));
    expect(JSON.stringify(result.success ? null : result.error.issues)).toMatch(/password/);
  });
});

describe('sql read', () => {
  it('reads the window through bound parameters, in batches of 5,000, with dates as YYYY-MM-DD and Vietnamese intact', async () => {
    const result = await collect(sqlConnector, config(), { from: '2024-03-01', to: '2024-03-31' }, undefined, readerContext());
    expect(result.records).toHaveLength(UNITS * MARCH_DAYS);
    expect(result.batchSizes).toEqual([SQL_BATCH_SIZE, UNITS * MARCH_DAYS - SQL_BATCH_SIZE]);
    expect(result.state).toBeUndefined();
    const days = new Set(result.records.map((record) => record.day));
    expect(days.size).toBe(MARCH_DAYS);
    for (const day of days) expect(day).toMatch(/^2024-03-\d{2}$/);
    expect(result.records[0]).toEqual({ unit_code: '400', unit_name: 'Phường Hưng Bình 0', day: '2024-03-01', notarizations: 1 });
    expect(result.records.find((record) => record.unit_code === '401')).toMatchObject({ unit_name: 'Xã Nghi Phú 1' });
    await expectNoReaderConnections();
  });

  it('hands on a batch of huge rows once it holds SQL_BATCH_BYTES, however few rows it has', async () => {
    // 40 rows of 1 MiB each: in batches of 5,000 rows the hub would hold them all at once (and 5,000 rows of
    // the server's max_allowed_packet would exhaust its memory).
    const query = "SELECT unit_code, LPAD('x', 1048576, 'y') AS padding FROM kiosk_daily WHERE day = :from ORDER BY unit_code LIMIT 40";
    const result = await collect(sqlConnector, config({ query }), { from: '2024-03-01', to: '2024-03-01' }, undefined, readerContext());
    expect(result.records).toHaveLength(40);
    const perBatch = Math.ceil(SQL_BATCH_BYTES / 1_048_576);
    expect(result.batchSizes).toEqual([perBatch, perBatch, perBatch, perBatch, perBatch].slice(0, Math.floor(40 / perBatch)).concat(40 % perBatch ? [40 % perBatch] : []));
    await expectNoReaderConnections();
  });

  it('binds the same placeholder twice and leaves placeholders inside strings alone', async () => {
    const query = "SELECT ':from' AS literal, :from AS first_day, COUNT(*) AS n FROM kiosk_daily WHERE day >= :from AND day <= :to";
    const result = await collect(sqlConnector, config({ query }), { from: '2024-02-29', to: '2024-03-01' }, undefined, readerContext());
    expect(result.records).toEqual([{ literal: ':from', first_day: '2024-02-29', n: 5 + UNITS }]);
  });

  it('fails with BAD_PAYLOAD when the query returns more than maxRows rows', async () => {
    const error = await readError(collect(sqlConnector, config({ maxRows: 100 }), { from: '2024-03-01', to: '2024-03-31' }, undefined, readerContext()));
    expect(error.errorClass).toBe('BAD_PAYLOAD');
    expect(error.message).toMatch(/maxRows \(100\)/);
    await expectNoReaderConnections();
  });

  it('runs in a read-only transaction: a SELECT calling a function that writes is refused and nothing is written', async () => {
    // The guard refuses a stored function called by name, and at run time too (an older stored configuration).
    expect(sqlConfigSchema.safeParse(config({ query: 'SELECT bump() AS bumped' })).success).toBe(false);
    const unchecked = { ...sqlConfigSchema.parse(config()), query: 'SELECT bump() AS bumped' };
    const refusedAtRun = await readError(
      (async () => {
        for await (const batch of sqlConnector.read(unchecked, { from: '2024-03-01', to: '2024-03-01' }, undefined, readerContext())) void batch;
      })(),
    );
    expect(refusedAtRun.message).toMatch(/BUMP\(\) is not an allowed function/);
    // A view hides the call from any guard: only the read-only transaction stops it.
    const query = 'SELECT bumped FROM bumping';
    expect(sqlConfigSchema.safeParse(config({ query })).success).toBe(true);
    const reading = collect(sqlConnector, config({ query }), { from: '2024-03-01', to: '2024-03-01' }, undefined, readerContext());
    const error = await readError(reading);
    expect(error.errorClass).toBe('CONFIG');
    expect(error.message).toMatch(/READ ONLY|read-only|read only/i);
    const [rows] = await admin.query(`SELECT COUNT(*) AS n FROM \`${DATABASE}\`.audit`);
    expect(Number((rows as Array<{ n: number }>)[0].n)).toBe(0);
  });

  it('classifies a wrong password as CONFIG and never shows the password', async () => {
    const wrong = 'Wrong-pass-7731-zQ';
    const error = await readError(
      collect(sqlConnector, config(), { from: '2024-03-01', to: '2024-03-01' }, undefined, testContext({ secrets: { password: wrong } })),
    );
    expect(error.errorClass).toBe('CONFIG');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/access denied/i);
    expect(error.message).not.toContain(wrong);
    expect(error.message).not.toContain(READER_PASSWORD);
  });

  it('classifies an unknown database and an unknown column as CONFIG', async () => {
    const noDatabase = await readError(collect(sqlConnector, config({ database: 'no_such_db_x' }), { from: '2024-03-01', to: '2024-03-01' }, undefined, testContext()));
    expect(noDatabase.errorClass).toBe('CONFIG');
    const noColumn = await readError(
      collect(sqlConnector, config({ query: 'SELECT no_such_column FROM kiosk_daily WHERE day = :from' }), { from: '2024-03-01', to: '2024-03-01' }, undefined, readerContext()),
    );
    expect(noColumn.errorClass).toBe('CONFIG');
    expect(noColumn.message).toContain('no_such_column');
    expect(noColumn.message).not.toContain(READER_PASSWORD);
  });

  it('classifies a closed port and an unknown host as SOURCE_UNAVAILABLE', async () => {
    const port = await closedPort();
    const refused = await readError(collect(sqlConnector, config({ port }), { from: '2024-03-01', to: '2024-03-01' }, undefined, readerContext()));
    expect(refused.errorClass).toBe('SOURCE_UNAVAILABLE');
    expect(refused.retryable).toBe(true);
    expect(refused.message).toContain(`127.0.0.1:${port}`);
    expect(refused.message).not.toContain(READER_PASSWORD);

    const unknownHost = await readError(
      collect(sqlConnector, config({ host: 'no-such-host.invalid' }), { from: '2024-03-01', to: '2024-03-01' }, undefined, readerContext()),
    );
    expect(unknownHost.errorClass).toBe('SOURCE_UNAVAILABLE');
    expect(unknownHost.message).not.toContain(READER_PASSWORD);
  });

  it('stops a slow query at timeoutMs with TIMEOUT and closes the connection', async () => {
    const started = Date.now();
    const error = await readError(
      collect(sqlConnector, config({ query: SLOW_QUERY, timeoutMs: 1_000 }), { from: '2024-03-01', to: '2024-03-01' }, undefined, readerContext()),
    );
    expect(error.errorClass).toBe('TIMEOUT');
    expect(error.retryable).toBe(true);
    // The server stopped it (max_statement_time), not the client's timer (timeoutMs plus a grace period).
    expect(error.message).toMatch(/the query ran longer than timeoutMs \(1000 ms\).*\[.*SQLSTATE 70100\]/);
    expect(error.message).not.toContain(READER_PASSWORD);
    expect(Date.now() - started).toBeLessThan(4_000);
    await expectNoReaderConnections();
  });

  it('stops promptly when the run is cancelled', async () => {
    const context = readerContext();
    const reading = collect(sqlConnector, config({ query: SLOW_QUERY }), { from: '2024-03-01', to: '2024-03-01' }, undefined, context);
    setTimeout(() => context.controller.abort(new Error('cancelled by the test')), 300);
    const started = Date.now();
    await expect(reading).rejects.toThrow('cancelled by the test');
    expect(Date.now() - started).toBeLessThan(2_000);
    // The abandoned statement is stopped on the server (KILL QUERY), not left running until it ends.
    await expectNoReaderConnections();
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('sql check and discover', () => {
  it('check connects, explains the query and reports its columns', async () => {
    const result = await sqlConnector.check(sqlConfigSchema.parse(config()), readerContext());
    expect(result.ok).toBe(true);
    expect(result.message).toMatch(/MariaDB/);
    expect(result.message).toContain('unit_code, unit_name, day, notarizations');
    expect(result.message).not.toContain(READER_PASSWORD);
  });

  it('check reads the account’s grants: none beyond SELECT on the schema, no warning', async () => {
    const result = await sqlConnector.check(sqlConfigSchema.parse(config({ user: LEAST })), testContext({ secrets: { password: OTHER_PASSWORD } }));
    expect(result).toMatchObject({ ok: true, warnings: [] });
  });

  it('check warns, in Vietnamese and English, about FILE and PROCESS on *.* and about mysql.* grants, never quoting the grant lines', async () => {
    const result = await sqlConnector.check(sqlConfigSchema.parse(config({ user: BROAD })), testContext({ secrets: { password: OTHER_PASSWORD } }));
    expect(result.ok).toBe(true);
    const warnings = result.warnings ?? [];
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain(`Tài khoản ${BROAD} có quyền PROCESS, FILE trên *.*`);
    expect(warnings[0]).toContain(`account ${BROAD} holds PROCESS, FILE on *.*`);
    expect(warnings[0]).toContain(`GRANT SELECT ON \`${DATABASE}\`.*`);
    expect(warnings[1]).toMatch(/SELECT trên `mysql`\.`user` \(cơ sở dữ liệu hệ thống/);
    expect(JSON.stringify(result)).not.toMatch(/IDENTIFIED|PASSWORD|\*[0-9A-F]{40}/);
    // The reader of the other tests also holds EXECUTE on its schema.
    const reader = await sqlConnector.check(sqlConfigSchema.parse(config()), readerContext());
    expect(reader.warnings).toEqual([expect.stringContaining(`holds EXECUTE on \`${DATABASE}\`.* (the department's database)`)]);
  });

  it('check does not run the query', async () => {
    const started = Date.now();
    const result = await sqlConnector.check(sqlConfigSchema.parse(config({ query: SLOW_QUERY })), readerContext());
    expect(result).toMatchObject({ ok: true });
    expect(result.message).toContain('slept');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('check reports an unreachable server or a wrong password without throwing or showing the password', async () => {
    const port = await closedPort();
    const unreachable = await sqlConnector.check(sqlConfigSchema.parse(config({ port })), readerContext());
    expect(unreachable.ok).toBe(false);
    expect(unreachable.message).toMatch(/connection refused/);

    const wrong = 'Another-wrong-pw-5521';
    const denied = await sqlConnector.check(sqlConfigSchema.parse(config()), testContext({ secrets: { password: wrong } }));
    expect(denied.ok).toBe(false);
    expect(denied.message).toMatch(/access denied/i);
    expect(denied.message).not.toContain(wrong);
  });

  it('discover returns the columns and 3 sample rows of the last 7 days', async () => {
    const [stream, ...others] = await sqlConnector.discover(sqlConfigSchema.parse(config()), readerContext());
    expect(others).toHaveLength(0);
    expect(stream.fields).toEqual(['unit_code', 'unit_name', 'day', 'notarizations']);
    expect(stream.sample).toHaveLength(3);
    for (const row of stream.sample) {
      expect(String(row.day) >= addDays(TODAY, -6)).toBe(true);
      expect(row.notarizations).toBeGreaterThanOrEqual(3000);
    }
    await expectNoReaderConnections();
  });

  it('discover reports the columns even when the last 7 days hold no rows', async () => {
    const query = "SELECT unit_code, day FROM kiosk_daily WHERE day BETWEEN :from AND :to AND unit_code = 'none'";
    const [stream] = await sqlConnector.discover(sqlConfigSchema.parse(config({ query })), readerContext());
    expect(stream).toMatchObject({ fields: ['unit_code', 'day'], sample: [] });
  });
});
