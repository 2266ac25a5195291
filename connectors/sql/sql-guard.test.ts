/**
 * The sql kind's query guard: an allowlist of statement types, node types and functions, checked on the
 * server's reading of the text (lexer) and on the parsed tree, so that no spelling of a file read, a look at
 * the server's internals, a stall, a lock or a write gets through.
 */
import { calledFunctions, lexicalQueryProblem, parsedQueryProblem, selectQueryProblem } from './sql-guard';

const ACCEPTED: Array<[string, string]> = [
  ['a plain window query', 'SELECT unit_code, day, notarizations FROM kiosk_daily WHERE day BETWEEN :from AND :to'],
  [
    'aggregates, CASE, CAST, dates and a window function',
    "SELECT unit_code, DATE_FORMAT(day, '%Y-%m') AS m, SUM(n) AS s, CASE WHEN a > 1 THEN 'x' ELSE NULL END AS c, " +
      'EXTRACT(YEAR FROM day) AS y, DATE_ADD(day, INTERVAL 1 DAY) AS d2, CAST(x AS DECIMAL(10,2)) AS dd, COUNT(DISTINCT a) AS cd, ' +
      'ROW_NUMBER() OVER (PARTITION BY a ORDER BY b DESC) AS rn FROM k LEFT JOIN u ON u.id = k.uid ' +
      'WHERE day BETWEEN :from AND :to GROUP BY unit_code HAVING s > 0 ORDER BY 1 DESC, m ASC LIMIT 10',
  ],
  ['subqueries, EXISTS and IN', 'SELECT a FROM t WHERE x IN (SELECT y FROM z) AND NOT EXISTS (SELECT 1 FROM w WHERE w.a = t.a)'],
  ['a CTE', 'WITH m AS (SELECT * FROM kiosk_daily WHERE day BETWEEN :from AND :to) SELECT unit_code, SUM(notarizations) AS n FROM m GROUP BY unit_code'],
  ['a UNION', 'SELECT unit_code FROM a WHERE day >= :from UNION ALL SELECT unit_code FROM b WHERE day <= :to'],
  ['CONVERT to a type', 'SELECT CONVERT(a, CHAR) AS a, CONVERT(b, DECIMAL(10, 2)) AS b FROM t'],
  ['text functions and CONVERT … USING', "SELECT CONCAT_WS('-', LPAD(code, 5, '0'), UPPER(TRIM(name))) AS k, CONVERT(name USING utf8mb4) AS n FROM t"],
  ['GROUP_CONCAT and JOIN … USING', "SELECT GROUP_CONCAT(DISTINCT x ORDER BY x SEPARATOR ',') AS g, IFNULL(a, 0) AS a FROM t1 JOIN t2 USING (a)"],
  ['hex and bit literals as data', "SELECT a FROM t WHERE flags = 0x0F OR code = X'41' OR bit = b'1'"],
  ['CURRENT_DATE and a quoted column name', 'SELECT `day`, CURRENT_DATE AS today FROM `kiosk_daily` WHERE `day` <= CURDATE()'],
  ['a column named current_role, quoted', 'SELECT `current_role` FROM staff'],
  ['a table named like a function', 'SELECT sleep_hours FROM sleep_log'],
  ['a column named like a system schema', 'SELECT t.mysql, t.sys FROM t'],
];

/** [category, variant, query]: every one must be refused. */
const REFUSED: Array<[string, string, string]> = [
  // File access
  ['file', 'quoted LOAD_FILE inside CAST', "SELECT CAST(`LOAD_FILE`('/etc/passwd') AS CHAR) AS unit, COUNT(*) AS n FROM t WHERE d BETWEEN :from AND :to"],
  ['file', 'LOAD_FILE', "SELECT LOAD_FILE('/etc/passwd') AS f"],
  ['file', 'lower case', "SELECT load_file('/etc/passwd') AS f"],
  ['file', 'mixed case', "SELECT Load_File('/etc/passwd') AS f"],
  ['file', 'a comment before the parenthesis', "SELECT LOAD_FILE/**/('/etc/passwd') AS f"],
  ['file', 'a line break before the parenthesis', "SELECT load_file\n('/etc/passwd') AS f"],
  ['file', 'a -- comment and line break', "SELECT LOAD_FILE -- note\n('/etc/passwd') AS f"],
  ['file', 'a # comment and line break', "SELECT LOAD_FILE # note\n('/etc/passwd') AS f"],
  ['file', 'quoted, hex argument', 'SELECT `load_file`(0x2f6574632f706173737764) AS f'],
  ['file', "X'…' argument", "SELECT LOAD_FILE(X'2f6574632f706173737764') AS f"],
  ['file', 'charset-introduced argument', "SELECT LOAD_FILE(_utf8'/etc/passwd') AS f"],
  ['file', 'double-quoted name (ANSI_QUOTES)', `SELECT "LOAD_FILE"('/etc/passwd') AS f`],
  ['file', 'schema-qualified', "SELECT mysql.LOAD_FILE('/etc/passwd') AS f"],
  ['file', 'in a CTE', "WITH f AS (SELECT LOAD_FILE('/etc/passwd') AS x) SELECT x FROM f"],
  ['file', 'in a derived table', "SELECT x FROM (SELECT LOAD_FILE('/etc/passwd') AS x) AS s"],
  ['file', 'in an EXISTS subquery', "SELECT 1 AS a FROM t WHERE EXISTS (SELECT LOAD_FILE('/etc/passwd'))"],
  ['file', 'inside CONVERT … USING', "SELECT CONVERT(LOAD_FILE('/etc/passwd') USING utf8mb4) AS f"],
  ['file', 'inside a UNION', "SELECT a FROM t UNION SELECT LOAD_FILE('/etc/passwd')"],
  ['file', 'INTO OUTFILE', "SELECT * FROM t INTO OUTFILE '/tmp/x.csv'"],
  ['file', 'INTO DUMPFILE', "SELECT a FROM t INTO DUMPFILE '/tmp/x.bin'"],
  ['file', 'INTO OUTFILE after a line break and comment', "SELECT a FROM t /* x */\nINTO\nOUTFILE '/tmp/x'"],
  ['file', 'parenthesised SELECT INTO OUTFILE', "(SELECT 1) INTO OUTFILE '/tmp/x'"],
  // Server internals
  ['internals', 'mysql.user', 'SELECT user, authentication_string FROM mysql.user'],
  ['internals', 'quoted `mysql`.`user`', 'SELECT * FROM `mysql`.`user`'],
  ['internals', 'spaces and case around the dot', 'SELECT * FROM MySQL . user'],
  ['internals', 'a comment around the dot', 'SELECT * FROM mysql/**/./**/user'],
  ['internals', 'information_schema', 'SELECT * FROM information_schema.PROCESSLIST'],
  ['internals', 'quoted information_schema', 'SELECT * FROM `information_schema`.`TABLES`'],
  ['internals', 'performance_schema', 'SELECT * FROM performance_schema.threads'],
  ['internals', 'sys', 'SELECT * FROM sys.processlist'],
  ['internals', 'in a subquery', 'SELECT a FROM t WHERE a IN (SELECT table_name FROM information_schema.tables)'],
  ['internals', 'in a CTE', 'WITH u AS (SELECT * FROM mysql.user) SELECT * FROM u'],
  ['internals', 'a system variable', 'SELECT @@datadir AS d'],
  ['internals', 'a scoped system variable', 'SELECT @@global.secure_file_priv AS d'],
  ['internals', 'a quoted system variable', 'SELECT @@`version` AS v'],
  ['internals', 'a system variable in WHERE', 'SELECT a FROM t WHERE b = @@hostname'],
  ['internals', 'a user variable', 'SELECT @x AS x'],
  ['internals', 'a quoted user variable', "SELECT @'x' AS x"],
  ['internals', 'an assignment', 'SELECT @x := 1 AS x'],
  ['internals', 'USER()', 'SELECT USER() AS u'],
  ['internals', 'CURRENT_USER()', 'SELECT CURRENT_USER() AS u'],
  ['internals', 'DATABASE()', 'SELECT DATABASE() AS d'],
  ['internals', 'VERSION()', 'SELECT VERSION() AS v'],
  ['internals', 'CURRENT_USER without parentheses', 'SELECT CURRENT_USER AS u'],
  ['internals', 'CURRENT_ROLE without parentheses', 'SELECT CURRENT_ROLE AS r'],
  // Stalls beyond timeoutMs
  ['stall', 'SLEEP', 'SELECT SLEEP(5) AS s'],
  ['stall', 'quoted SLEEP', 'SELECT `sleep`(5) AS s'],
  ['stall', 'SLEEP in WHERE', 'SELECT a FROM t WHERE SLEEP(1) = 0'],
  ['stall', 'BENCHMARK', "SELECT BENCHMARK(100000000, MD5('a')) AS b"],
  ['stall', 'GET_LOCK', "SELECT GET_LOCK('x', 100) AS l"],
  ['stall', 'IS_USED_LOCK', "SELECT IS_USED_LOCK('x') AS l"],
  ['stall', 'MASTER_POS_WAIT', "SELECT MASTER_POS_WAIT('log', 4) AS w"],
  ['stall', 'MASTER_GTID_WAIT', "SELECT MASTER_GTID_WAIT('0-1-1') AS w"],
  ['comment', 'an optimizer hint lifting the time limit', 'SELECT /*+ MAX_EXECUTION_TIME(0) */ a FROM t'],
  ['stall', 'SET STATEMENT … FOR', 'SET STATEMENT max_statement_time=0 FOR SELECT a FROM t'],
  // Locks
  ['lock', 'FOR UPDATE', 'SELECT * FROM t FOR UPDATE'],
  ['lock', 'FOR UPDATE NOWAIT', 'SELECT * FROM t FOR UPDATE NOWAIT'],
  ['lock', 'FOR UPDATE with a comment', 'SELECT * FROM t FOR /* x */ UPDATE'],
  ['lock', 'FOR SHARE', 'SELECT * FROM t FOR SHARE'],
  ['lock', 'LOCK IN SHARE MODE', 'SELECT * FROM t LOCK IN SHARE MODE'],
  ['lock', 'a locking subquery', 'SELECT * FROM (SELECT * FROM t FOR UPDATE) AS k'],
  // Writes and other statements
  ['write', 'INSERT', "INSERT INTO t VALUES ('1')"],
  ['write', 'REPLACE', "REPLACE INTO t VALUES ('1')"],
  ['write', 'UPDATE', 'UPDATE t SET a = 0'],
  ['write', 'DELETE', 'DELETE FROM t'],
  ['write', 'CREATE', 'CREATE TABLE x (a int)'],
  ['write', 'SET', 'SET @a = 1'],
  ['write', 'CALL', 'CALL p()'],
  ['write', 'DO', 'DO SLEEP(5)'],
  ['write', 'HANDLER', 'HANDLER t OPEN'],
  ['write', 'TABLE', 'TABLE t'],
  ['write', 'VALUES', 'VALUES (1)'],
  ['write', 'a stored function', 'SELECT bump() AS b'],
  ['write', 'a schema-qualified stored function', 'SELECT src.bump() AS b'],
  ['write', 'a name only MariaDB has built in (on MySQL, a stored function)', 'SELECT NVL(a, 0) AS a FROM t'],
  ['write', 'NEXTVAL', 'SELECT NEXTVAL(s) AS n'],
  ['write', 'NEXT VALUE FOR', 'SELECT NEXT VALUE FOR s AS n'],
  ['write', 'SETVAL', 'SELECT SETVAL(s, 1) AS n'],
  ['write', 'a second statement', 'SELECT 1; DROP TABLE t'],
  ['comment', 'a statement in an executable comment', 'SELECT 1 /*!50000 ; DROP TABLE t */'],
  ['comment', 'a MariaDB executable comment', 'SELECT 1 /*M!100000 , LOAD_FILE("/etc/passwd") */'],
  ['write', 'PROCEDURE ANALYSE', 'SELECT a FROM t PROCEDURE ANALYSE()'],
  // Literals the parser and the server read differently
  ['literal', 'a charset introducer', "SELECT _utf8'abc' AS a"],
  ['literal', 'a charset introducer and a space', "SELECT _utf8mb4 'abc' AS a"],
  ['literal', 'a charset-introduced hex literal', 'SELECT _binary 0x41 AS a'],
  ['literal', "a charset-introduced X'…'", "SELECT _latin1 X'41' AS a"],
  ['literal', 'a backslash-escaped quote', "SELECT 'a\\' , LOAD_FILE(0x2f) AS b"],
  // Not parseable
  ['unparseable', 'a misspelt keyword', 'SELEKT * FROM t'],
  ['unparseable', 'an unclosed comment', 'SELECT a FROM t /* open'],
];

describe('sql query guard', () => {
  it.each(ACCEPTED)('accepts %s', (_name, query) => {
    expect(selectQueryProblem(query)).toBeUndefined();
  });

  it.each(REFUSED)('refuses (%s) %s', (_category, _variant, query) => {
    const problem = selectQueryProblem(query);
    expect(problem).toEqual(expect.any(String));
    expect(problem!.length).toBeGreaterThan(10);
  });

  it('names the function it refuses, however it is spelt', () => {
    for (const query of ["SELECT CAST(`LOAD_FILE`('/x') AS CHAR) AS u", "SELECT load_file/**/('/x') AS u", 'SELECT "Load_File"(0x2f) AS u']) {
      expect(selectQueryProblem(query)).toMatch(/^LOAD_FILE\(\) is not an allowed function/);
    }
  });

  // Both checks stand on their own: the parsed tree is checked against the allowlist even when the lexer is
  // fooled, and the lexer sees what the server sees even when the parser reads the text differently.
  // (Comments are invisible to the parser: the lexer refuses the executable ones.)
  // (The parser reads a bare CURRENT_ROLE as a column: the lexer knows the server's keywords.)
  const parseable = REFUSED.filter(([category, variant]) => !['unparseable', 'literal', 'comment'].includes(category) && !variant.includes('CURRENT_ROLE'));
  it.each(parseable.filter(([, , query]) => !/^(SET|DO|HANDLER|TABLE|VALUES|INSERT|REPLACE|UPDATE|DELETE|CREATE|CALL)\b/.test(query)))(
    'the parsed-tree allowlist alone refuses (%s) %s',
    (_category, _variant, query) => {
      expect(parsedQueryProblem(query)).toEqual(expect.any(String));
    },
  );

  it.each(REFUSED.filter(([category]) => category !== 'unparseable'))('the lexical check alone refuses (%s) %s', (_category, _variant, query) => {
    expect(lexicalQueryProblem(query)).toEqual(expect.any(String));
  });

  it('reads the text the way the server does where the parser does not', () => {
    // node-sql-parser reads "_utf8mb4 'x'" as a column with an alias; the server reads a string.
    expect(parsedQueryProblem("SELECT _utf8mb4 'abc'")).toBeUndefined();
    expect(selectQueryProblem("SELECT _utf8mb4 'abc'")).toMatch(/charset introducer/);
  });

  it('lists the names a query calls, as the server reads them (not inside strings or comments, not qualified)', () => {
    const query = "SELECT ROUND (a) AS r, `lpad`(b, 2, '0') AS p, 'x(' AS s /* ceil( */, t.c FROM t WHERE d IN (SELECT MAX(d) FROM u)";
    expect(calledFunctions(query).sort()).toEqual(['IN', 'LPAD', 'MAX', 'ROUND']);
  });
});
