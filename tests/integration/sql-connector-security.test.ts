/**
 * The sql kind reads data only, through the hub: against the machine's real MariaDB (127.0.0.1:3306), with a
 * source database and accounts created here and dropped afterwards. An account with the FILE privilege can
 * read files on the database host; no connector query may make it do so, and testConnector warns about such
 * an account. The password secret stays bound to the host and port it was set for.
 */
import { createConnection, type Connection } from 'mysql2/promise';
import { addDays } from '../../src/common/period';
import { Connector } from '../../src/modules/connectors/connector.entity';
import { Role } from '../../src/security/principal';
import { dataOf, errorOf, databaseIdOf } from '../helpers/api';
import { keyHeaders } from '../helpers/auth';
import { startTestHub, type TestHub } from '../helpers/test-hub';

const SERVER = { host: '127.0.0.1', port: 3306 };
/** Names of this run only (the file runs once per jest project). */
const SUFFIX = `${process.pid}_${Math.random().toString(36).slice(2, 7)}`;
const SOURCE = `pilothub_sqlsec_src_${SUFFIX}`;
const LEAST = `ph_least_${SUFFIX}`;
const FILE_USER = `ph_file_${SUFFIX}`;
const PASSWORD = `Src-pass-${process.pid}-Wq7z`;
/** The finding: a quoted function name got past a list of denied names. */
const QUOTED_LOAD_FILE = "SELECT CAST(`LOAD_FILE`('/etc/passwd') AS CHAR) AS unit_code, day, notarizations FROM kiosk_daily WHERE day BETWEEN :from AND :to";
const MAPPING = { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'unit_code' }, period: { field: 'day' }, value: { field: 'notarizations' } };
const REGISTER = 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }';
const UPDATE = 'mutation($id: ID!, $input: ConnectorUpdateInput!) { updateConnector(id: $id, input: $input) { id } }';
const TEST = 'mutation($id: ID!) { testConnector(id: $id) { ok message warnings streams { name fields sample } } }';
const RUN = 'mutation($id: ID!) { runConnector(id: $id, wait: true) { status errorClass errorMessage } }';

const sqlConfig = (user: string, query = 'SELECT unit_code, day, notarizations FROM kiosk_daily WHERE day BETWEEN :from AND :to', port = SERVER.port) => ({
  host: SERVER.host, port, database: SOURCE, user, query,
});

describe('sql connectors read data only', () => {
  let admin: Connection;
  let hub: TestHub;
  let counter = 0;
  let passwdLine: string;

  const register = async (user: string, query?: string) =>
    (
      await dataOf<{ registerConnector: { id: string } }>(hub, REGISTER, {
        input: {
          name: `Kiosk database ${++counter}`, kind: 'sql', department: 'SO_YT', schedule: '0 0 1 1 *', lookbackDays: 3,
          config: sqlConfig(user, query), mapping: MAPPING, secrets: [{ name: 'password', value: PASSWORD }],
        },
      })
    ).registerConnector.id;

  beforeAll(async () => {
    admin = await createConnection({ ...SERVER, user: 'root', password: '', connectTimeout: 5_000 });
    await admin.query(`DROP DATABASE IF EXISTS \`${SOURCE}\``);
    await admin.query(`CREATE DATABASE \`${SOURCE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.query(`CREATE TABLE \`${SOURCE}\`.kiosk_daily (unit_code varchar(10) NOT NULL, day date NOT NULL, notarizations int NOT NULL, PRIMARY KEY (unit_code, day))`);
    const today = new Date().toISOString().slice(0, 10);
    await admin.query(`INSERT INTO \`${SOURCE}\`.kiosk_daily VALUES ?`, [[['xx1', addDays(today, -1), 4], ['xx2', today, 5]]]);
    for (const user of [LEAST, FILE_USER]) {
      await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
      await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${PASSWORD}'`);
      await admin.query(`GRANT SELECT ON \`${SOURCE}\`.* TO '${user}'@'%'`);
    }
    await admin.query(`GRANT FILE ON *.* TO '${FILE_USER}'@'%'`);
    // SO_YT's staff change these connectors themselves: the source servers are granted to SO_YT.
    hub = await startTestHub({ allowServers: [`http://${SERVER.host}:${SERVER.port}`, `http://${SERVER.host}:3307`], allowServersFor: ['SO_YT'] });
  });
  afterAll(async () => {
    await hub?.close();
    if (!admin) return;
    for (const user of [LEAST, FILE_USER]) await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
    await admin.query(`DROP DATABASE IF EXISTS \`${SOURCE}\``);
    await admin.end();
  });

  it('the FILE account can read a file on the database host (so the refusals below are real)', async () => {
    const reader = await createConnection({ ...SERVER, user: FILE_USER, password: PASSWORD, database: SOURCE });
    try {
      const [rows] = await reader.query("SELECT CAST(`LOAD_FILE`('/etc/passwd') AS CHAR) AS f");
      passwdLine = String((rows as Array<{ f: string | null }>)[0].f ?? '').split('\n')[0];
    } finally {
      await reader.end();
    }
    expect(passwdLine).toMatch(/^root:/);
  });

  it.each([
    ['the quoted LOAD_FILE of the finding', QUOTED_LOAD_FILE],
    ['LOAD_FILE with a comment before the parenthesis', "SELECT LOAD_FILE/**/('/etc/passwd') AS unit_code, day, notarizations FROM kiosk_daily"],
    ['LOAD_FILE of a hex literal, in a CTE', 'WITH f AS (SELECT load_file(0x2f6574632f706173737764) AS unit_code) SELECT unit_code FROM f'],
    ['the accounts table', 'SELECT user AS unit_code FROM mysql.user'],
    ['a system variable', 'SELECT @@datadir AS unit_code'],
    ['a stall beyond timeoutMs', 'SELECT SLEEP(100) AS unit_code'],
    ['INTO OUTFILE', "SELECT unit_code FROM kiosk_daily INTO OUTFILE '/tmp/kiosk.csv'"],
  ])('refuses to register a connector with %s, naming input.config.query', async (_name, query) => {
    const error = await errorOf(hub, REGISTER, {
      input: { name: `Refused ${++counter}`, kind: 'sql', department: 'SO_YT', schedule: '0 0 1 1 *', config: sqlConfig(FILE_USER, query), mapping: MAPPING },
    });
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.config.query' });
  });

  it('refuses LOAD_FILE through testConnector and runs when an older version stored the query', async () => {
    const id = await register(FILE_USER);
    await hub.dataSource.getRepository(Connector).update(databaseIdOf(id), { config: JSON.stringify(sqlConfig(FILE_USER, QUOTED_LOAD_FILE)) });
    const department = await keyHeaders(hub, Role.DEPARTMENT_IT, ['SO_YT']);
    const tested = await dataOf<{ testConnector: { ok: boolean; message: string; streams: unknown[] } }>(hub, TEST, { id }, department);
    expect(tested.testConnector).toMatchObject({ ok: false, streams: [] });
    expect(tested.testConnector.message).toContain('LOAD_FILE() is not an allowed function');
    const run = await dataOf<{ runConnector: { status: string; errorClass: string; errorMessage: string } }>(hub, RUN, { id }, department);
    expect(run.runConnector).toMatchObject({ status: 'FAILED', errorClass: 'CONFIG' });
    expect(run.runConnector.errorMessage).toContain('LOAD_FILE() is not an allowed function');
    for (const text of [JSON.stringify(tested), JSON.stringify(run)]) expect(text).not.toContain(passwdLine.slice(0, 12));
    // Fixing the query on the same server needs no password again.
    await dataOf(hub, UPDATE, { id, input: { config: sqlConfig(FILE_USER) } }, department);
    const fixed = await dataOf<{ testConnector: { ok: boolean } }>(hub, TEST, { id }, department);
    expect(fixed.testConnector.ok).toBe(true);
  });

  it('testConnector warns, in Vietnamese and English, when the account holds more than SELECT on its schema', async () => {
    const broad = await dataOf<{ testConnector: { ok: boolean; warnings: string[]; streams: Array<{ sample: unknown[] }> } }>(hub, TEST, { id: await register(FILE_USER) });
    expect(broad.testConnector.ok).toBe(true);
    expect(broad.testConnector.warnings).toEqual([
      `Tài khoản ${FILE_USER} có quyền FILE trên *.* (mọi cơ sở dữ liệu và cả máy chủ), nhiều hơn mức cần thiết: tài khoản chỉ nên có GRANT SELECT ON \`${SOURCE}\`.* — ` +
        `account ${FILE_USER} holds FILE on *.* (every database and the server itself), more than it needs: it should only have GRANT SELECT ON \`${SOURCE}\`.*`,
    ]);
    const least = await dataOf<{ testConnector: { ok: boolean; warnings: string[]; streams: Array<{ sample: unknown[] }> } }>(hub, TEST, { id: await register(LEAST) });
    expect(least.testConnector).toMatchObject({ ok: true, warnings: [] });
    expect(least.testConnector.streams[0].sample).toHaveLength(2);
  });

  it('keeps the password bound to the host and port it was set for', async () => {
    const id = await register(LEAST);
    const department = await keyHeaders(hub, Role.DEPARTMENT_IT, ['SO_YT']);
    const moved = await errorOf(hub, UPDATE, { id, input: { config: sqlConfig(LEAST, undefined, 3307) } }, department);
    expect(moved.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.secrets' });
    expect(moved.message).toContain('password');
    // Another query on the same server is no move.
    await dataOf(hub, UPDATE, { id, input: { config: sqlConfig(LEAST, 'SELECT unit_code, day, notarizations FROM kiosk_daily WHERE day >= :from AND day <= :to') } }, department);
    // With a password given again, it may move.
    await dataOf(hub, UPDATE, { id, input: { config: sqlConfig(LEAST, undefined, 3307), secrets: [{ name: 'password', value: 'another-password' }] } }, department);
  });

  it('refuses to run a query that calls a name the database defines as a stored function', async () => {
    // Where the server has no built-in of that name (MySQL 5.7 and REGEXP_REPLACE, MySQL and NVL), this stored
    // function, running with its definer's rights, would be called instead and read a file for the account.
    await admin.query(
      `CREATE DEFINER='root'@'localhost' FUNCTION \`${SOURCE}\`.\`round\`(x INT) RETURNS TEXT READS SQL DATA RETURN LEFT(LOAD_FILE('/etc/passwd'), 40)`,
    );
    await admin.query(`GRANT EXECUTE ON FUNCTION \`${SOURCE}\`.\`round\` TO '${LEAST}'@'%'`);
    try {
      const id = await register(LEAST, 'SELECT unit_code, day, ROUND(notarizations) AS notarizations FROM kiosk_daily WHERE day BETWEEN :from AND :to');
      const department = await keyHeaders(hub, Role.DEPARTMENT_IT, ['SO_YT']);
      const tested = await dataOf<{ testConnector: { ok: boolean; message: string } }>(hub, TEST, { id }, department);
      expect(tested.testConnector.ok).toBe(false);
      expect(tested.testConnector.message).toContain('defines the function(s) round');
      const run = await dataOf<{ runConnector: { status: string; errorClass: string; errorMessage: string } }>(hub, RUN, { id }, department);
      expect(run.runConnector).toMatchObject({ status: 'FAILED', errorClass: 'CONFIG' });
      expect(run.runConnector.errorMessage).toContain('defines the function(s) round');
      // A query that does not call it runs.
      await dataOf(hub, UPDATE, { id, input: { config: sqlConfig(LEAST) } }, department);
      expect((await dataOf<{ runConnector: { status: string } }>(hub, RUN, { id }, department)).runConnector.status).not.toBe('FAILED');
    } finally {
      await admin.query(`DROP FUNCTION IF EXISTS \`${SOURCE}\`.\`round\``);
    }
  });
});
