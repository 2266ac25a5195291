/**
 * `npm run secrets:rotate`: re-encrypts every connector secret under the active key (SECRETS_ACTIVE_KEY_ID, or
 * the first of SECRETS_KEYS) in one transaction, and reports the counts. Rotating a key:
 *   1. SECRETS_KEYS="new:…,old:…" on every process (new writes use "new", "old" still decrypts); restart;
 *   2. npm run secrets:rotate;
 *   3. remove "old" from SECRETS_KEYS; restart.
 * Running it again changes nothing. A secret under a key that is not configured fails the command and
 * nothing is changed.
 */
import 'reflect-metadata';
import { loadConfig } from '../config';
import { openDatabase } from '../database/open-database';
import { describeRotation, rotateSecrets } from './connector-secrets';
import { loadSecretBox } from './secret-keys';

async function main(): Promise<void> {
  const config = loadConfig();
  if (config.secrets.keys.length === 0) throw new Error('SECRETS_KEYS is not set: there is no key to rotate to');
  const dataSource = await openDatabase(config.database);
  try {
    // The keys are checked as at start-up: wrong bytes under a known id are refused before anything is written.
    const box = await loadSecretBox(config, dataSource);
    console.log(describeRotation(await rotateSecrets(dataSource, box)));
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(`secrets:rotate failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
