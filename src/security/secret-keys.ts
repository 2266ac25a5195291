/**
 * Which keys encrypt connector secrets in this process:
 * - SECRETS_KEYS when set (any environment);
 * - in development without it, a key generated once and kept in a local file (SECRETS_KEY_FILE, default next
 *   to the SQLite database, mode 0600), with a warning; an in-memory database gets a key that lives as long;
 * - in production without it, none: start-up refuses when the database holds secrets, and storing a secret
 *   fails with SERVICE_UNAVAILABLE.
 * Production also refuses to start when stored secrets name a key that is not configured.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { ConfigError, type HubConfig } from '../config';
import { ConnectorSecret } from '../modules/connectors/connector.entity';
import { formatSecretKeys, generateSecretKey, parseSecretKeys, SecretBox, type SecretKey } from './secret-box';

/** Reads the development key file, or creates it (0600) when absent; another process may create it first. */
function developmentKeys(file: string, logger?: Logger): SecretKey[] {
  const read = (): SecretKey[] => {
    try {
      return parseSecretKeys(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ConfigError(`the key file ${file} is unreadable (${(error as Error).message}); fix it or set SECRETS_KEYS`);
    }
  };
  if (fs.existsSync(file)) return read();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const key = generateSecretKey(`local-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`);
  try {
    fs.writeFileSync(file, `${formatSecretKeys([key])}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as { code?: string }).code === 'EEXIST') return read();
    throw error;
  }
  logger?.warn({ keyFile: file }, 'SECRETS_KEYS is not set: connector secrets are encrypted with a key generated into the key file; set SECRETS_KEYS in production');
  return [key];
}

/** The configured keys as a box, or null (production without SECRETS_KEYS). */
export function secretBoxFromConfig(config: HubConfig, logger?: Logger): SecretBox | null {
  if (config.secrets.keys.length > 0) return new SecretBox(config.secrets.keys, config.secrets.activeKeyId ?? undefined);
  if (config.production) return null;
  if (!config.secrets.keyFile) return new SecretBox([generateSecretKey('memory')]);
  return new SecretBox(developmentKeys(config.secrets.keyFile, logger));
}

/** The box for this process after checking the stored secrets against it (see the module comment). */
export async function loadSecretBox(config: HubConfig, dataSource: DataSource, logger?: Logger): Promise<SecretBox | null> {
  const box = secretBoxFromConfig(config, logger);
  const keyIds = await dataSource
    .getRepository(ConnectorSecret)
    .createQueryBuilder('secret')
    .select('secret.keyId', 'keyId')
    .addSelect('COUNT(*)', 'count')
    .groupBy('secret.keyId')
    .getRawMany<{ keyId: string | null; count: string | number }>();
  const stored = keyIds.reduce((sum, row) => sum + Number(row.count), 0);
  if (!box) {
    if (stored > 0) {
      throw new ConfigError(`SECRETS_KEYS is not set, but the database holds ${stored} connector secret(s): set SECRETS_KEYS (with the key(s) they were encrypted with)`);
    }
    logger?.warn('SECRETS_KEYS is not set: connectors cannot be given secrets until it is');
    return null;
  }
  const unknown = keyIds.filter((row) => row.keyId !== null && !box.hasKey(row.keyId)).map((row) => `${row.keyId} (${Number(row.count)})`);
  if (unknown.length > 0) {
    const message = `connector secrets are encrypted with keys that are not configured: ${unknown.join(', ')}; add them to SECRETS_KEYS`;
    if (config.production) throw new ConfigError(message);
    logger?.warn(message);
  }
  return box;
}
