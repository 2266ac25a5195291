/**
 * Which keys encrypt connector secrets in this process:
 * - SECRETS_KEYS when set (required in production: loadConfig refuses to start without it);
 * - in development without it, a key generated once and kept in a local file (SECRETS_KEY_FILE, default next
 *   to the SQLite database, mode 0600), with a warning; an in-memory database gets a key that lives as long.
 * At start-up each key is checked against the check value recorded for its id (wrong bytes under a known id
 * refuse the start); stored secrets under a key id that is not configured leave the hub running, with a warning
 * naming the connectors concerned (their runs fail CONFIG; /readyz reports `degraded`).
 */
import { timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { ConfigError, type HubConfig } from '../config';
import { ConnectorSecret } from '../modules/connectors/connector.entity';
import { sealedOf } from './connector-secrets';
import { formatSecretKeys, generateSecretKey, parseSecretKeys, SecretBox, type SecretKey } from './secret-box';
import { SecretKeyCheck } from './secret-key-check.entity';

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

/** The configured keys as a box. Production without SECRETS_KEYS is refused: it never generates a key file. */
export function secretBoxFromConfig(config: HubConfig, logger?: Logger): SecretBox {
  if (config.secrets.keys.length > 0) return new SecretBox(config.secrets.keys, config.secrets.activeKeyId ?? undefined);
  if (config.production) throw new ConfigError('SECRETS_KEYS is required with NODE_ENV=production: a production hub never generates a key file');
  if (!config.secrets.keyFile) return new SecretBox([generateSecretKey('memory')]);
  return new SecretBox(developmentKeys(config.secrets.keyFile, logger));
}

/** The key ids stored secrets name that `keyIds` lacks, each with the connectors whose secrets need it. */
export async function secretsUnderMissingKeys(dataSource: DataSource, keyIds: readonly string[]): Promise<Map<string, number[]>> {
  const rows = await dataSource
    .getRepository(ConnectorSecret)
    .createQueryBuilder('secret')
    .select('secret.keyId', 'keyId')
    .addSelect('secret.connectorId', 'connectorId')
    .where('secret.keyId IS NOT NULL')
    .groupBy('secret.keyId')
    .addGroupBy('secret.connectorId')
    .orderBy('secret.keyId')
    .addOrderBy('secret.connectorId')
    .getRawMany<{ keyId: string; connectorId: number | string }>();
  const missing = new Map<string, number[]>();
  for (const row of rows) {
    if (keyIds.includes(row.keyId)) continue;
    missing.set(row.keyId, [...(missing.get(row.keyId) ?? []), Number(row.connectorId)]);
  }
  return missing;
}

/** What secrets under missing keys mean, in the start-up warning and /readyz. */
export function describeMissingKeys(missing: ReadonlyMap<string, readonly number[]>): string {
  const keys = [...missing].map(([keyId, connectors]) => `"${keyId}" (connector${connectors.length === 1 ? '' : 's'} ${connectors.join(', ')})`);
  return (
    `connector secrets are encrypted with keys that are not configured in SECRETS_KEYS: ${keys.join('; ')}; ` +
    'the runs of those connectors fail CONFIG until the key is added back or their secrets are set again'
  );
}

const sameHex = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Checks every configured key against the check value recorded for its id, recording it the first time an id is
 * seen (after making sure the secrets already stored under that id open with these bytes). Throws a ConfigError
 * naming every key whose bytes are not the ones the database knows under its id.
 */
export async function verifySecretKeys(dataSource: DataSource, box: SecretBox): Promise<void> {
  const checks = dataSource.getRepository(SecretKeyCheck);
  const recorded = new Map((await checks.find()).map((row) => [row.keyId, row]));
  const wrong: string[] = [];
  for (const keyId of box.keyIds) {
    const value = box.checkValue(keyId);
    let row = recorded.get(keyId);
    if (!row) {
      const sample = await dataSource.getRepository(ConnectorSecret).findOne({ where: { keyId }, order: { connectorId: 'ASC', name: 'ASC' } });
      if (sample) {
        try {
          box.open(sealedOf(sample), { connectorId: sample.connectorId, name: sample.name });
        } catch {
          wrong.push(`"${keyId}" does not decrypt the secrets stored under that id (secret "${sample.name}" of connector ${sample.connectorId})`);
          continue;
        }
      }
      try {
        await checks.insert({ keyId, checkValue: value, recordedAt: new Date() });
        continue;
      } catch (error) {
        // Another process starting at the same time recorded it first: compare with what it recorded.
        row = (await checks.findOneBy({ keyId })) ?? undefined;
        if (!row) throw error;
      }
    }
    if (!sameHex(row.checkValue, value)) wrong.push(`"${keyId}" is not the key first used under that id (on ${row.recordedAt.toISOString().slice(0, 10)})`);
  }
  if (wrong.length > 0) {
    throw new ConfigError(
      `SECRETS_KEYS: key ${wrong.join('; key ')}: give each key id its original bytes (from where SECRETS_KEYS is kept with the backups); ` +
        'a new key needs a new id',
    );
  }
}

/** The box for this process, its keys verified, after reporting stored secrets it cannot decrypt (see the module comment). */
export async function loadSecretBox(config: HubConfig, dataSource: DataSource, logger?: Logger): Promise<SecretBox> {
  const box = secretBoxFromConfig(config, logger);
  await verifySecretKeys(dataSource, box);
  const missing = await secretsUnderMissingKeys(dataSource, box.keyIds);
  if (missing.size > 0) logger?.warn({ missingKeyIds: [...missing.keys()], connectorIds: [...new Set([...missing.values()].flat())] }, describeMissingKeys(missing));
  return box;
}
