/**
 * Checks that a configured SQL query only reads, and binds the window to its `:from` / `:to` placeholders.
 *
 * Two independent checks, both at configuration time:
 *
 * 1. A small lexer that follows the MySQL/MariaDB server's own rules for strings, quoted identifiers and
 *    comments. It refuses what a parser could read differently from the server: executable comments
 *    (`/*! … *\/`, `/*M! … *\/`) and optimizer hints (`/*+ … *\/`), a `;` followed by more text, string
 *    literals whose end depends on `NO_BACKSLASH_ESCAPES` (`\'`), and words that only a writing or locking
 *    SELECT contains (`INTO`, `FOR UPDATE`, `FOR SHARE`, `LOCK IN SHARE MODE`, lock and sequence functions).
 * 2. node-sql-parser (MariaDB and MySQL grammars): the text must parse as exactly one statement of type
 *    `select` (a UNION of SELECTs and a WITH … SELECT are selects) with no `INTO` and no locking clause
 *    anywhere, subqueries included.
 *
 * At run time the connector adds its own defences (no multiple statements, a read-only transaction, a
 * statement time limit); see `sql.connector.ts`.
 */
import { Parser } from 'node-sql-parser';

/** The window bounds a query may refer to. */
export const PLACEHOLDERS = ['from', 'to'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** Functions a read-only report has no business calling: file access, locks, sequences, replication waits, UDF shells. */
const DENIED_FUNCTIONS = new Set([
  'LOAD_FILE',
  'GET_LOCK',
  'RELEASE_LOCK',
  'RELEASE_ALL_LOCKS',
  'NEXTVAL',
  'SETVAL',
  'MASTER_POS_WAIT',
  'MASTER_GTID_WAIT',
  'SOURCE_POS_WAIT',
  'WAIT_FOR_EXECUTED_GTID_SET',
  'WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS',
  'SYS_EXEC',
  'SYS_EVAL',
]);

const STATEMENT_TYPES_THAT_WRITE = new Set([
  'insert',
  'replace',
  'update',
  'delete',
  'create',
  'drop',
  'alter',
  'truncate',
  'rename',
  'set',
  'call',
  'lock',
  'unlock',
  'grant',
  'revoke',
  'load_data',
  'transaction',
]);

interface Token {
  kind: 'word' | 'placeholder' | 'positional' | 'semicolon' | 'other';
  /** Upper-cased word, or the placeholder's name. */
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
      tokens.push({ kind: 'other', text: quote, start: i, end: j });
      i = j;
    } else if (ch === '@') {
      // User and system variables: @name, @@name, @@session.name (a quoted @'name' is lexed as a string next).
      let j = i;
      while (sql[j] === '@') j += 1;
      while (j < n && (isWordChar(sql[j]) || sql[j] === '.')) j += 1;
      tokens.push({ kind: 'other', text: '@', start: i, end: j });
      i = j;
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
    if (token.kind !== 'word' || afterDot) continue;
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
    if (DENIED_FUNCTIONS.has(token.text)) return `${token.text}() is not allowed in a connector query`;
  }
  return undefined;
}

type AstNode = Record<string, unknown>;

/** What the parsed statement shows is wrong (anywhere in the tree), or undefined. */
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
  if (typeof record.type === 'string' && STATEMENT_TYPES_THAT_WRITE.has(record.type.toLowerCase())) {
    return `only SELECT statements are allowed; the query contains ${record.type.toUpperCase()}`;
  }
  const into = record.into as AstNode | undefined;
  if (into && typeof into === 'object' && (into.keyword || into.position)) {
    return 'SELECT … INTO (OUTFILE, DUMPFILE or variables) is not allowed: the query may only read';
  }
  if (record.locking_read || record.for_update) return 'a locking SELECT (FOR UPDATE, LOCK IN SHARE MODE) is not allowed: the query may not lock rows';
  if (record.type === 'origin' && record.value === '?') {
    return 'positional placeholders (?) are not supported: use :from and :to for the window’s first and last day';
  }
  for (const value of Object.values(record)) {
    const problem = astProblem(value, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

const parser = new Parser();
const DIALECTS = ['MariaDB', 'MySQL'] as const;

/**
 * Why the query may not be used as a connector query, or undefined when it is a single read-only SELECT.
 * Every grammar that parses the text must agree it is one plain SELECT.
 */
export function selectQueryProblem(sql: string): string | undefined {
  if (sql.trim() === '') return 'the query is empty';
  const lexed = lex(sql);
  if (lexed.problem) return lexed.problem;
  const fromTokens = tokenProblem(lexed.tokens);
  if (fromTokens) return fromTokens;

  let parsed = 0;
  let firstError = '';
  for (const database of DIALECTS) {
    let ast: unknown;
    try {
      ast = parser.astify(sql, { database });
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

export interface BoundQuery {
  /** The query with every `:from` / `:to` replaced by `?`. */
  sql: string;
  /** Values for the `?`s, in order. */
  values: string[];
}

/** Replaces the `:from` and `:to` placeholders by server-side parameters bound to the window's dates. */
export function bindPlaceholders(sql: string, bounds: Readonly<Record<Placeholder, string>>): BoundQuery {
  const lexed = lex(sql);
  const problem = lexed.problem ?? tokenProblem(lexed.tokens);
  if (problem) throw new Error(problem);
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
