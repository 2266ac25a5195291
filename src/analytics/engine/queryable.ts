/** What the engine needs of a data source, and how it reads the drivers' values (dialect helpers: database/sql-dialect). */
import type { DataSource } from 'typeorm';

/** What the engine needs of a data source: raw statements and the dialect. */
export type Queryable = Pick<DataSource, 'query' | 'options'>;

/** A nullable numeric column (the drivers may return numbers as text). */
export const num = (value: unknown): number | null => (value == null ? null : Number(value));
