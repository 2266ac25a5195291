/**
 * Packages only some requests need, loaded on their first use rather than by every start of the hub (and of every
 * test file, which loads the hub afresh): together about 5 MB of the 17 MB of JavaScript the hub would otherwise
 * load before serving. Node keeps each one once loaded.
 */
/* eslint-disable @typescript-eslint/no-require-imports */

/** exceljs (with jszip, archiver and their dependencies): workbook exports and the catalogue import. */
export const exceljs = (): typeof import('exceljs') => require('exceljs');

/** node-sql-parser (2.5 MB of grammars): the SQL connector's query checks. */
export const sqlParser = (): typeof import('node-sql-parser') => require('node-sql-parser');

/** mysql2's callback API: the SQL connector's connections to a department's database. */
export const mysqlClient = (): typeof import('mysql2') => require('mysql2');

/** ioredis: only when REDIS_URL is set (shared rate limits, live updates across processes). */
export const ioredis = (): typeof import('ioredis') => require('ioredis');
