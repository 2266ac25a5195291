/** Global teardown of the server-database jest project: drops the per-worker databases the setup created. */
import { dropWorkerDatabases } from './server-databases';

export default async function teardown(globalConfig: { maxWorkers: number }): Promise<void> {
  const url = process.env.TEST_DATABASE_URL;
  if (url) await dropWorkerDatabases(url, globalConfig.maxWorkers);
}
