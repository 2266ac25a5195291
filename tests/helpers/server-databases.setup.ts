/**
 * Global setup of the server-database jest project: creates one database per jest worker (see
 * server-databases.ts). An unreachable server fails the run here, before any file: the database tests are
 * required, never skipped.
 */
import type { Config } from 'jest';
import { createWorkerDatabases } from './server-databases';

export default async function setup(globalConfig: { maxWorkers: number }, _project: Config): Promise<void> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL must be set for the server-database project');
  try {
    await createWorkerDatabases(url, globalConfig.maxWorkers);
  } catch (error) {
    const where = new URL(url);
    throw new Error(`the test database server at ${where.host} cannot be used (TEST_DATABASE_URL): ${error instanceof Error ? error.message : String(error)}`);
  }
}
