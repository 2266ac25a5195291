/**
 * The two SQL dialects the hub writes raw statements for, in one place: the embedded SQLite database
 * (TypeORM type 'better-sqlite3') and MySQL / MariaDB (types 'mysql' and 'mariadb', which take the same SQL).
 * Dialect detection, identifier quoting, placeholders, chunking of parameter lists, datetime parameters, date
 * values as text and the upsert forms both servers accept.
 */
import type { DataSource, EntityManager } from 'typeorm';

export type Dialect = 'sqlite' | 'mysql';

/** What the dialect is read from: a data source (or anything with its options) or an entity manager. */
export type DialectSource = Pick<DataSource, 'options'> | Pick<EntityManager, 'dataSource'>;

/** The TypeORM database type behind a data source or an entity manager. */
export function databaseType(source: DialectSource): string {
  return ('dataSource' in source ? source.dataSource : source).options.type;
}

/** Whether the database is the embedded SQLite one. */
export function isSqlite(source: DialectSource): boolean {
  return databaseType(source) === 'better-sqlite3';
}

/** The dialect of a data source or an entity manager; any other database type is refused. */
export function dialectOf(source: DialectSource): Dialect {
  const type = databaseType(source);
  if (type === 'better-sqlite3') return 'sqlite';
  if (type === 'mysql' || type === 'mariadb') return 'mysql';
  throw new Error(`raw SQL is not written for database type ${type}`);
}

/** An identifier quoted for the dialect: "name" on SQLite, `name` on MySQL/MariaDB. */
export function quoteIdentifier(dialect: Dialect, name: string): string {
  return dialect === 'sqlite' ? `"${name}"` : `\`${name}\``;
}

/** "?, ?, …" for `count` parameters (an IN list). */
export function parameterList(count: number): string {
  return new Array<string>(count).fill('?').join(', ');
}

/** "(?, ?, …), (?, ?, …), …" for `rows` rows of `columns` parameters. */
export function placeholders(rows: number, columns: number): string {
  const tuple = `(${parameterList(columns)})`;
  return new Array<string>(rows).fill(tuple).join(', ');
}

/**
 * Runs `body` for each slice of `size` items, one after the other: keeps rows × bound parameters of a
 * statement under SQLite's limit of 32,766 (and statements well below MySQL's max_allowed_packet).
 */
export async function inChunks<T>(items: readonly T[], size: number, body: (chunk: readonly T[]) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += size) await body(items.slice(start, start + size));
}

/** The text TypeORM writes to a datetime column on SQLite: 'YYYY-MM-DD HH:MM:SS.SSS' in UTC. */
export function sqliteDatetime(date: Date): string {
  return date.toISOString().replace('T', ' ').slice(0, 23);
}

/**
 * What a datetime column is compared with or given in raw SQL: SQLite's text form, or the Date itself on
 * MySQL/MariaDB (mysql2 formats Date objects itself, in the connection's timezone 'Z').
 */
export function datetimeParameter(dialect: Dialect, date: Date): Date | string {
  return dialect === 'sqlite' ? sqliteDatetime(date) : date;
}

/** A datetime as read by raw SQL (aggregates come back raw): a Date from mysql2, UTC text without a zone from SQLite. */
export function datetimeFromDatabase(value: Date | string): Date {
  if (value instanceof Date) return value;
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`);
}

/** A date column's value as read by raw SQL, as 'YYYY-MM-DD' text (a Date is taken in UTC; text is kept as it is). */
export function dateText(value: unknown): string {
  return value instanceof Date ? value.toISOString().slice(0, 10) : String(value);
}

/** Raw SQL for one dialect: identifier quoting, multi-row inserts and upserts, datetime parameters, month texts. */
export class Sql {
  constructor(readonly dialect: Dialect) {}

  /** The SQL writer for the database of a data source or an entity manager. */
  static of(source: DialectSource): Sql {
    return new Sql(dialectOf(source));
  }

  /** A quoted identifier. */
  id(name: string): string {
    return quoteIdentifier(this.dialect, name);
  }

  /** Quoted identifiers separated by commas. */
  list(names: readonly string[]): string {
    return names.map((name) => this.id(name)).join(', ');
  }

  /** Multi-row INSERT of `rows` rows of `columns`. */
  insert(table: string, columns: readonly string[], rows: number): string {
    return `INSERT INTO ${this.id(table)} (${this.list(columns)}) VALUES ${placeholders(rows, columns.length)}`;
  }

  /** In the update of an upsert: the value the insert proposed for `column` (both MySQL 8 and MariaDB accept VALUES(col)). */
  proposed(column: string): string {
    return this.dialect === 'sqlite' ? `excluded.${this.id(column)}` : `VALUES(${this.id(column)})`;
  }

  /** In the update of an upsert into `table`: the stored value of `column`. */
  stored(table: string, column: string): string {
    return this.dialect === 'sqlite' ? `${this.id(table)}.${this.id(column)}` : this.id(column);
  }

  /** The clause that turns an INSERT into an upsert: rows whose unique `key` exists get the `set` assignments. */
  onConflict(key: readonly string[], set: string): string {
    return this.dialect === 'sqlite' ? `ON CONFLICT (${this.list(key)}) DO UPDATE SET ${set}` : `ON DUPLICATE KEY UPDATE ${set}`;
  }

  /** Multi-row insert that replaces `updated` columns of rows whose natural key exists. */
  upsert(table: string, columns: readonly string[], key: readonly string[], updated: readonly string[], rows: number): string {
    const set = updated.map((column) => `${this.id(column)} = ${this.proposed(column)}`).join(', ');
    return `${this.insert(table, columns, rows)} ${this.onConflict(key, set)}`;
  }

  /** See {@link datetimeParameter}. */
  datetime(date: Date): Date | string {
    return datetimeParameter(this.dialect, date);
  }

  /** SQL expression: the 'YYYY-MM' text of a date expression. */
  monthOf(date: string): string {
    return this.dialect === 'sqlite' ? `substr(${date}, 1, 7)` : `DATE_FORMAT(${date}, '%Y-%m')`;
  }
}
