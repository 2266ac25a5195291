/**
 * Checks that a configured SQL query only reads data, and binds the window to its `:from` / `:to` placeholders.
 *
 * Everything is an allowlist: what is not known to be a plain read of the department's own tables is refused.
 * Two independent checks, both at configuration time:
 *
 * 1. A small lexer that follows the MySQL/MariaDB server's own rules for strings, quoted identifiers and
 *    comments, so it sees the query as the server will, whatever a parser makes of it. It refuses what a
 *    parser could read differently from the server: executable comments (`/*! … *\/`, `/*M! … *\/`) and
 *    optimizer hints (`/*+ … *\/`), a `;` followed by more text, string literals whose end depends on
 *    `NO_BACKSLASH_ESCAPES` (`\'`) and charset introducers (`_utf8'…'`); anything called like a function
 *    (`name(`, quoted or not, with comments or line breaks before the parenthesis) that is not an allowed
 *    function or a keyword; variables (`@name`, `@@name`); the server's own schemas (`mysql.`,
 *    `information_schema.`, `performance_schema.`, `sys.`); and the words only a writing or locking SELECT
 *    contains (`INTO`, `FOR UPDATE`, `FOR SHARE`, `LOCK IN SHARE MODE`, `PROCEDURE`, `NEXT VALUE FOR`).
 * 2. node-sql-parser (MariaDB and MySQL grammars): the text must parse as exactly one statement of type
 *    `select` (a UNION of SELECTs and a WITH … SELECT are selects). Every node of the tree, subqueries and
 *    CTEs included, must be of an allowed type (literals, column references, operators, CASE, CAST, …), every
 *    function an allowed built-in one ({@link ALLOWED_FUNCTIONS}, never a stored function), every table one of
 *    the connection's database or another non-system schema, with no `INTO` and no locking clause. Text the
 *    parser cannot read is refused.
 *
 * At run time the connector adds its own defences (no multiple statements, a read-only transaction, a
 * statement time limit on the server); see `sql.connector.ts`.
 */
import type { Parser } from 'node-sql-parser';
import { sqlParser } from '../../src/common/lazy-modules';

/** The window bounds a query may refer to. */
export const PLACEHOLDERS = ['from', 'to'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/**
 * Built-in functions a report query may call: arithmetic, text, dates, conversions, conditionals, aggregates
 * and window functions. None reads a file, the server's state or another session's, waits, locks or writes.
 * Informational functions (USER(), DATABASE(), VERSION(), CONNECTION_ID() …), file and lock functions
 * (LOAD_FILE, GET_LOCK …), stalls (SLEEP, BENCHMARK …) and stored functions are absent, so refused.
 */
export const ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set([
  // aggregates
  'COUNT', 'SUM', 'AVG', 'MIN', 'MAX', 'GROUP_CONCAT', 'STD', 'STDDEV', 'STDDEV_POP', 'STDDEV_SAMP', 'VARIANCE', 'VAR_POP', 'VAR_SAMP',
  'BIT_AND', 'BIT_OR', 'BIT_XOR',
  // window functions
  'ROW_NUMBER', 'RANK', 'DENSE_RANK', 'NTILE', 'LAG', 'LEAD', 'FIRST_VALUE', 'LAST_VALUE', 'NTH_VALUE', 'PERCENT_RANK', 'CUME_DIST',
  // conditionals
  // (not NVL: MySQL has no such built-in, so there `NVL(…)` calls a stored function of that name)
  'IF', 'IFNULL', 'NULLIF', 'COALESCE', 'GREATEST', 'LEAST', 'ISNULL',
  // subquery comparisons (the parser reads `= ANY (SELECT …)` as a call)
  'ANY', 'ALL', 'SOME',
  // numbers
  'ABS', 'CEIL', 'CEILING', 'FLOOR', 'ROUND', 'TRUNCATE', 'MOD', 'SIGN', 'POW', 'POWER', 'SQRT', 'EXP', 'LN', 'LOG', 'LOG10', 'LOG2',
  // text
  'CONCAT', 'CONCAT_WS', 'LENGTH', 'CHAR_LENGTH', 'CHARACTER_LENGTH', 'OCTET_LENGTH', 'LOWER', 'UPPER', 'LCASE', 'UCASE', 'TRIM', 'LTRIM',
  'RTRIM', 'SUBSTRING', 'SUBSTR', 'MID', 'SUBSTRING_INDEX', 'LEFT', 'RIGHT', 'LPAD', 'RPAD', 'REPLACE', 'REVERSE', 'LOCATE', 'INSTR',
  'POSITION', 'FORMAT', 'FIELD', 'FIND_IN_SET', 'ELT', 'STRCMP', 'ASCII', 'CHAR', 'HEX', 'UNHEX', 'REGEXP_REPLACE', 'REGEXP_SUBSTR',
  'REGEXP_INSTR',
  // conversions
  'CONVERT', 'CAST',
  // dates
  'DATE', 'TIME', 'TIMESTAMP', 'DATE_FORMAT', 'STR_TO_DATE', 'DATE_ADD', 'DATE_SUB', 'ADDDATE', 'SUBDATE', 'DATEDIFF', 'TIMESTAMPDIFF',
  'TIMESTAMPADD', 'YEAR', 'MONTH', 'DAY', 'DAYOFMONTH', 'DAYOFWEEK', 'DAYOFYEAR', 'WEEK', 'WEEKDAY', 'WEEKOFYEAR', 'YEARWEEK', 'QUARTER',
  'HOUR', 'MINUTE', 'SECOND', 'LAST_DAY', 'MAKEDATE', 'TO_DAYS', 'FROM_DAYS', 'MONTHNAME', 'DAYNAME', 'EXTRACT', 'CURDATE',
  'CURRENT_DATE', 'CURRENT_TIME', 'NOW', 'CURRENT_TIMESTAMP', 'LOCALTIME', 'LOCALTIMESTAMP', 'UTC_DATE', 'UTC_TIME', 'UTC_TIMESTAMP',
  'UNIX_TIMESTAMP', 'FROM_UNIXTIME', 'CONVERT_TZ',
  // JSON columns
  'JSON_EXTRACT', 'JSON_UNQUOTE', 'JSON_VALUE',
]);

/**
 * Keywords a `(` may follow that are not calls: subqueries, lists, joins, windows, CAST/CONVERT target
 * types with a length (`CHAR(10)`, `DECIMAL(10,2)`).
 */
const KEYWORDS_BEFORE_PARENTHESIS = new Set([
  'SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'XOR', 'ON', 'IN', 'EXISTS', 'AS', 'JOIN', 'BY', 'WHEN', 'THEN', 'ELSE', 'CASE', 'IS',
  'LIKE', 'BETWEEN', 'DIV', 'MOD', 'UNION', 'INTERSECT', 'EXCEPT', 'OVER', 'USING', 'HAVING', 'WITH', 'DISTINCT', 'LATERAL', 'INTERVAL',
  'REGEXP', 'RLIKE', 'ESCAPE', 'ALL', 'ANY', 'SOME', 'DECIMAL', 'NUMERIC', 'NCHAR', 'VARCHAR', 'BINARY', 'DATETIME', 'FLOAT', 'DOUBLE',
  'SIGNED', 'UNSIGNED', 'INTEGER', 'INT',
]);

/** Keywords the server evaluates as functions without parentheses; only the allowed ones may appear. */
const NILADIC_FUNCTIONS = new Set([
  'CURRENT_USER', 'CURRENT_ROLE', 'CURRENT_DATE', 'CURRENT_TIME', 'CURRENT_TIMESTAMP', 'LOCALTIME', 'LOCALTIMESTAMP', 'UTC_DATE',
  'UTC_TIME', 'UTC_TIMESTAMP',
]);

/** The server's own schemas: accounts, grants, other databases' structure, server state. */
const SYSTEM_SCHEMAS = new Set(['MYSQL', 'INFORMATION_SCHEMA', 'PERFORMANCE_SCHEMA', 'SYS']);

/** Whether `name` is one of the server's own schemas (accounts, grants, server state), whatever its case. */
export function isSystemSchema(name: string): boolean {
  return SYSTEM_SCHEMAS.has(name.toUpperCase());
}

/** Node types a read-only query's tree may hold: literals, names, operators, CASE/CAST, calls (checked by name). */
const ALLOWED_NODE_TYPES = new Set([
  'select', 'column_ref', 'expr_list', 'binary_expr', 'unary_expr', 'function', 'aggr_func', 'cast', 'case', 'when', 'else', 'extract',
  'interval', 'star', 'param', 'number', 'bigint', 'bool', 'null', 'single_quote_string', 'double_quote_string', 'natural_string',
  'hex_string', 'full_hex_string', 'bit_string', 'date', 'time', 'timestamp', 'datetime', 'default', 'backticks_quote_string', 'origin',
  'window', 'collate', 'dual', 'datatype', 'ASC', 'DESC',
]);

interface Token {
  kind: 'word' | 'quoted' | 'string' | 'variable' | 'placeholder' | 'positional' | 'semicolon' | 'other';
  /** Upper-cased word or quoted name (without its quotes), the placeholder's name, or the character. */
  text: string;
  start: number;
  end: number;
}

interface Lexed {
  tokens: Token[];
  problem?: string;
}

const isWordChar = (ch: string): boolean => /[A-Za-z0-9_$\u0080-\uffff]/.test(ch);
/** What may follow `--` for it to start a comment: a space or control character, or the end of the text. */
const isSpace = (ch: string | undefined): boolean => ch === undefined || ch.charCodeAt(0) <= 0x20;

/** Splits SQL the way the MySQL/MariaDB server does, keeping only what matters to the checks. */
function lex(sql: string): Lexed {
  const tokens: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const ch = sql[i];
    const next = sql[i + 1];
    if (/\s/.test(ch)) {
      i += 1;
    } else if (ch === '#' || (ch === '-' && next === '-' && isSpace(sql[i + 2]))) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (ch === '/' && next === '*') {
      const body = sql.slice(i + 2, i + 4);
      if (body.startsWith('!') || body.startsWith('+') || /^M!/i.test(body)) {
        return {
          tokens,
          problem:
            'executable comments (/*! … */, /*M! … */) and optimizer hints (/*+ … */) are not allowed: the server would run what they contain',
        };
      }
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) return { tokens, problem: 'the query has a comment that is never closed (/* without */)' };
      i = end + 2;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      const quote = ch;
      let j = i + 1;
      let closed = false;
      while (j < n) {
        const c = sql[j];
        if (c === '\\' && quote !== '`') {
          if (sql[j + 1] === quote) {
            return {
              tokens,
              problem: `write a quote inside a string as ${quote}${quote}, not \\${quote}: the meaning of \\${quote} depends on the server's NO_BACKSLASH_ESCAPES mode`,
            };
          }
          j += 2;
        } else if (c === quote) {
          if (sql[j + 1] === quote) {
            j += 2;
          } else {
            closed = true;
            j += 1;
            break;
          }
        } else {
          j += 1;
        }
      }
      if (!closed) return { tokens, problem: `the query has a ${quote === '`' ? 'quoted name' : 'string'} that is never closed (${quote})` };
      const body = sql.slice(i + 1, j - 1).split(`${quote}${quote}`).join(quote);
      // A double-quoted text is a string, or a name under ANSI_QUOTES: both readings are checked.
      tokens.push({ kind: quote === '`' ? 'quoted' : 'string', text: quote === "'" ? quote : body.toUpperCase(), start: i, end: j });
      i = j;
    } else if (ch === '@') {
      // User and system variables: @name, @@name, @@session.name, @'name', @`name`.
      tokens.push({ kind: 'variable', text: '@', start: i, end: i + 1 });
      i += 1;
    } else if (ch === ':' && next !== undefined && /[A-Za-z_]/.test(next)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(sql[j])) j += 1;
      tokens.push({ kind: 'placeholder', text: sql.slice(i + 1, j), start: i, end: j });
      i = j;
    } else if (ch === '?') {
      tokens.push({ kind: 'positional', text: '?', start: i, end: i + 1 });
      i += 1;
    } else if (ch === ';') {
      tokens.push({ kind: 'semicolon', text: ';', start: i, end: i + 1 });
      i += 1;
    } else if (isWordChar(ch)) {
      let j = i + 1;
      while (j < n && isWordChar(sql[j])) j += 1;
      tokens.push({ kind: 'word', text: sql.slice(i, j).toUpperCase(), start: i, end: j });
      i = j;
    } else {
      tokens.push({ kind: 'other', text: ch, start: i, end: i + 1 });
      i += 1;
    }
  }
  return { tokens };
}

const isName = (token: Token | undefined): token is Token =>
  token !== undefined && (token.kind === 'word' || token.kind === 'quoted' || (token.kind === 'string' && token.text !== "'"));

/** What the lexer alone can tell is wrong with the query, or undefined. */
function tokenProblem(tokens: readonly Token[]): string | undefined {
  const first = tokens[0];
  if (first && !(first.kind === 'word' && (first.text === 'SELECT' || first.text === 'WITH')) && first.text !== '(') {
    return `only SELECT statements are allowed; the query starts with ${first.kind === 'word' ? first.text : `"${first.text}"`}`;
  }
  for (let k = 0; k < tokens.length; k += 1) {
    const token = tokens[k];
    const following = tokens[k + 1];
    const afterDot = tokens[k - 1]?.text === '.';
    if (token.kind === 'semicolon') {
      if (following) return 'the query must be a single statement: remove the ";" and everything after it';
      continue;
    }
    if (token.kind === 'positional') return 'positional placeholders (?) are not supported: use :from and :to for the window’s first and last day';
    if (token.kind === 'placeholder' && !(PLACEHOLDERS as readonly string[]).includes(token.text)) {
      return `unknown placeholder :${token.text}: only :from and :to (the window’s first and last day, YYYY-MM-DD) are bound`;
    }
    if (token.kind === 'variable') return 'variables (@name, @@name) are not allowed: the query may only read the department’s tables';
    const introduced = following?.kind === 'string' || (following?.kind === 'word' && /^(?:[XBN]|0X[0-9A-F]*|0B[01]*)$/.test(following.text));
    if (token.kind === 'word' && token.text.startsWith('_') && !afterDot && introduced) {
      return `charset introducers (${token.text.toLowerCase()}'…') are not allowed: write the string without one`;
    }
    if (isName(token) && !afterDot && following?.text === '.' && SYSTEM_SCHEMAS.has(token.text)) {
      return `${token.text.toLowerCase()}.… is one of the server's own schemas: the query may only read the department’s tables`;
    }
    if (isName(token) && following?.text === '(') {
      const keyword = token.kind === 'word' && !afterDot && KEYWORDS_BEFORE_PARENTHESIS.has(token.text);
      if (!keyword && (afterDot || !ALLOWED_FUNCTIONS.has(token.text))) {
        return `${token.text}() is not an allowed function in a connector query (allowed: built-in functions for numbers, text, dates, conditions and aggregates)`;
      }
    }
    if (token.kind !== 'word' || afterDot) continue;
    if (NILADIC_FUNCTIONS.has(token.text) && !ALLOWED_FUNCTIONS.has(token.text)) {
      return `${token.text} is not allowed in a connector query: the query may only read the department’s tables`;
    }
    if (token.text === 'INTO') return 'SELECT … INTO (OUTFILE, DUMPFILE or variables) is not allowed: the query may only read';
    if (token.text === 'FOR' && following?.kind === 'word' && (following.text === 'UPDATE' || following.text === 'SHARE')) {
      return `SELECT … FOR ${following.text} is not allowed: the query may not lock rows`;
    }
    if (token.text === 'LOCK' && following?.kind === 'word' && following.text === 'IN') {
      return 'SELECT … LOCK IN SHARE MODE is not allowed: the query may not lock rows';
    }
    if (token.text === 'NEXT' && following?.kind === 'word' && following.text === 'VALUE') {
      return 'NEXT VALUE FOR advances a sequence: the query may only read';
    }
    if (token.text === 'PROCEDURE') return 'SELECT … PROCEDURE is not allowed: the query may only read';
  }
  return undefined;
}

type AstNode = Record<string, unknown>;

/** The upper-cased name of a function node, or undefined when it is schema-qualified (a stored function). */
function functionName(node: AstNode): string | undefined {
  const name = node.name;
  if (typeof name === 'string') return name.toUpperCase();
  if (name === null || typeof name !== 'object') return undefined;
  const record = name as AstNode;
  if (record.schema) return undefined;
  const parts = record.name;
  if (!Array.isArray(parts) || parts.length !== 1) return undefined;
  const value = (parts[0] as AstNode | undefined)?.value;
  return typeof value === 'string' ? value.toUpperCase() : undefined;
}

/** What the parsed statement shows is not a plain read (anywhere in the tree), or undefined. */
function astProblem(node: unknown, depth = 0): string | undefined {
  if (depth > 200) return 'the query is nested too deeply';
  if (Array.isArray(node)) {
    for (const item of node) {
      const problem = astProblem(item, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  if (node === null || typeof node !== 'object') return undefined;
  const record = node as AstNode;
  if (typeof record.type === 'string' && !ALLOWED_NODE_TYPES.has(record.type)) {
    if (record.type === 'var') return 'variables (@name, @@name) are not allowed: the query may only read the department’s tables';
    return `${record.type.toUpperCase()} is not allowed in a connector query: only plain SELECTs of columns, literals, operators and built-in functions`;
  }
  if (record.type === 'function' || record.type === 'aggr_func') {
    const name = functionName(record);
    if (!name || !ALLOWED_FUNCTIONS.has(name)) {
      return `${name ?? 'a stored function'}() is not an allowed function in a connector query (allowed: built-in functions for numbers, text, dates, conditions and aggregates)`;
    }
  }
  const into = record.into as AstNode | undefined;
  if (into && typeof into === 'object' && (into.keyword || into.position || into.expr)) {
    return 'SELECT … INTO (OUTFILE, DUMPFILE or variables) is not allowed: the query may only read';
  }
  if (record.locking_read || record.for_update) return 'a locking SELECT (FOR UPDATE, LOCK IN SHARE MODE) is not allowed: the query may not lock rows';
  if (Array.isArray(record.options) && record.options.length > 0) return 'SELECT options (SQL_CALC_FOUND_ROWS, HIGH_PRIORITY …) are not allowed';
  if (typeof record.db === 'string' && isSystemSchema(record.db)) {
    return `${record.db}.… is one of the server's own schemas: the query may only read the department’s tables`;
  }
  if (record.type === 'origin' && record.value === '?') {
    return 'positional placeholders (?) are not supported: use :from and :to for the window’s first and last day';
  }
  for (const value of Object.values(record)) {
    const problem = astProblem(value, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

let parser: Parser | undefined;
const theParser = (): Parser => (parser ??= new (sqlParser().Parser)());
const DIALECTS = ['MariaDB', 'MySQL'] as const;

/** What the lexer (the server's view of the text) shows is not a plain read, or undefined. */
export function lexicalQueryProblem(sql: string): string | undefined {
  const lexed = lex(sql);
  return lexed.problem ?? tokenProblem(lexed.tokens);
}

/**
 * What the parsed tree shows is not one plain read, or undefined. Every grammar that parses the text must
 * agree it is one allowed SELECT; text no grammar parses is refused.
 */
export function parsedQueryProblem(sql: string): string | undefined {
  let parsed = 0;
  let firstError = '';
  for (const database of DIALECTS) {
    let ast: unknown;
    try {
      ast = theParser().astify(sql, { database });
    } catch (error) {
      firstError ||= (error instanceof Error ? error.message : String(error)).split('\n')[0].slice(0, 300);
      continue;
    }
    parsed += 1;
    const statements = (Array.isArray(ast) ? ast : [ast]).filter((statement) => statement !== null && statement !== undefined);
    if (statements.length !== 1) return `the query must be exactly one SELECT statement; found ${statements.length}`;
    const statement = statements[0] as AstNode;
    if (statement.type !== 'select') {
      return `only SELECT statements are allowed; found ${String(statement.type ?? 'an unknown statement').toUpperCase()}`;
    }
    const problem = astProblem(statement);
    if (problem) return problem;
  }
  if (parsed === 0) return `the query is not a valid MySQL/MariaDB SELECT: ${firstError}`;
  return undefined;
}

/** Why the query may not be used as a connector query, or undefined when it is a single read-only SELECT. */
export function selectQueryProblem(sql: string): string | undefined {
  if (sql.trim() === '') return 'the query is empty';
  return lexicalQueryProblem(sql) ?? parsedQueryProblem(sql);
}

/**
 * The upper-cased names the query calls unqualified (`name(`, as the server reads the text). A database
 * function of one of these names would be called instead wherever the server has no such built-in (an older
 * version, or MySQL rather than MariaDB): `sql.connector.ts` refuses to run the query against such a database.
 */
export function calledFunctions(sql: string): string[] {
  const { tokens } = lex(sql);
  const names = new Set<string>();
  tokens.forEach((token, k) => {
    if (isName(token) && tokens[k + 1]?.text === '(' && tokens[k - 1]?.text !== '.') names.add(token.text);
  });
  return [...names];
}

export interface BoundQuery {
  /** The query with every `:from` / `:to` replaced by `?`. */
  sql: string;
  /** Values for the `?`s, in order. */
  values: string[];
}

/** Replaces the `:from` and `:to` placeholders by server-side parameters bound to the window's dates. */
export function bindPlaceholders(sql: string, bounds: Readonly<Record<Placeholder, string>>): BoundQuery {
  const problem = lexicalQueryProblem(sql);
  if (problem) throw new Error(problem);
  const lexed = lex(sql);
  let text = '';
  let last = 0;
  const values: string[] = [];
  for (const token of lexed.tokens) {
    if (token.kind !== 'placeholder') continue;
    text += `${sql.slice(last, token.start)}?`;
    values.push(bounds[token.text as Placeholder]);
    last = token.end;
  }
  text += sql.slice(last);
  return { sql: text, values };
}
