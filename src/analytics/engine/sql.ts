/**
 * The SQL dialect helpers of the engine (SQLite and MariaDB/MySQL), kept together in this one file so that they
 * can be replaced by shared ones without touching the rest of the engine.
 */
import type { DataSource } from 'typeorm';
import { sqliteDatetime } from '../../ingestion/ingest';

/** What the engine needs of a data source: raw statements and the dialect. */
export type Queryable = Pick<DataSource, 'query' | 'options'>;

export const isSqlite = (dataSource: Queryable): boolean => dataSource.options.type === 'better-sqlite3';

/** "?, ?, …": one placeholder per value of a list. */
export const placeholders = (values: readonly unknown[]): string => values.map(() => '?').join(', ');

/** A datetime parameter as the dialect compares it: SQLite stores datetimes as text, mysql2 formats a Date itself. */
export const datetimeParameter = (dataSource: Queryable, date: Date): Date | string => (isSqlite(dataSource) ? sqliteDatetime(date) : date);

/** A nullable numeric column (the drivers may return numbers as text). */
export const num = (value: unknown): number | null => (value == null ? null : Number(value));

/** A date column as YYYY-MM-DD (mysql2 returns a Date, SQLite text). */
export const dateText = (value: unknown): string => (value instanceof Date ? value.toISOString().slice(0, 10) : String(value));
