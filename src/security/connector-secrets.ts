/**
 * Connector secrets in the database: written encrypted, read decrypted, plaintext rows of older versions
 * sealed at start-up, and every row re-encrypted under the active key by `npm run secrets:rotate`.
 */
import { IsNull, Not, type DataSource, type EntityManager } from 'typeorm';
import { ConnectorError, type ConnectorKind } from '../../connectors/sdk/contract';
import { HubError } from '../common/errors';
import { isSqlite } from '../database/sql-dialect';
import { ConnectorSecret } from '../modules/connectors/connector.entity';
import { SecretDecryptionError, type SecretBox } from './secret-box';

export interface RotationReport {
  /** Secret rows in the database. */
  total: number;
  /** Re-encrypted from another key to the active one. */
  reencrypted: number;
  /** Stored in the clear before, encrypted now. */
  sealedPlaintext: number;
  /** Already under the active key (when only sealing plaintext: already encrypted), left as they were. */
  alreadyCurrent: number;
  activeKeyId: string;
}

export class SecretRotationError extends Error {}

export function describeRotation(report: RotationReport): string {
  return (
    `${report.total} connector secret(s): ${report.reencrypted} re-encrypted under key "${report.activeKeyId}", ` +
    `${report.sealedPlaintext} stored in the clear encrypted, ${report.alreadyCurrent} already under it`
  );
}

/** Overwrites freed SQLite pages with zeros while `work` runs, and folds the WAL into the file afterwards. */
async function withSecureDelete<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  if (!isSqlite(dataSource)) return work();
  await dataSource.query('PRAGMA secure_delete = ON');
  try {
    const result = await work();
    // Old page images (plaintext, or ciphertexts under a retired key) may still sit in the WAL file.
    await dataSource.query('PRAGMA wal_checkpoint(TRUNCATE)');
    return result;
  } finally {
    await dataSource.query('PRAGMA secure_delete = OFF');
  }
}

/**
 * Re-encrypts secrets under the active key in one transaction: plaintext rows always, and with `all` also
 * every row under another key. Every value is decrypted before anything is written, so a row under a key that
 * is not configured fails the whole call with nothing changed.
 */
export async function rotateSecrets(dataSource: DataSource, box: SecretBox, options: { plaintextOnly?: boolean } = {}): Promise<RotationReport> {
  return withSecureDelete(dataSource, () =>
    dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(ConnectorSecret);
      const query = repository.createQueryBuilder('secret').orderBy('secret.connectorId').addOrderBy('secret.name');
      if (!isSqlite(dataSource)) query.setLock('pessimistic_write');
      const rows = await query.getMany();
      const report: RotationReport = { total: rows.length, reencrypted: 0, sealedPlaintext: 0, alreadyCurrent: 0, activeKeyId: box.activeKeyId };
      const plan: Array<{ row: ConnectorSecret; plaintext: string }> = [];
      const unreadable: string[] = [];
      for (const row of rows) {
        const owner = { connectorId: row.connectorId, name: row.name };
        if (row.legacyPlaintext !== null) {
          plan.push({ row, plaintext: row.legacyPlaintext });
          report.sealedPlaintext += 1;
        } else if (row.keyId === box.activeKeyId || options.plaintextOnly) {
          report.alreadyCurrent += 1;
        } else {
          try {
            plan.push({ row, plaintext: box.open(sealedOf(row), owner) });
            report.reencrypted += 1;
          } catch (error) {
            unreadable.push((error as Error).message);
          }
        }
      }
      if (unreadable.length > 0) {
        throw new SecretRotationError(`nothing was changed: ${unreadable.length} secret(s) cannot be decrypted with the configured keys (${box.keyIds.join(', ')}): ${unreadable.join('; ')}`);
      }
      for (const { row, plaintext } of plan) {
        const sealed = box.seal(plaintext, { connectorId: row.connectorId, name: row.name });
        await repository.update({ connectorId: row.connectorId, name: row.name }, { ...sealed, legacyPlaintext: null });
      }
      return report;
    }),
  );
}

/** Encrypts secrets stored in the clear by an older version; start-up calls it (a count when there are none). */
export async function sealPlaintextSecrets(dataSource: DataSource, box: SecretBox): Promise<RotationReport> {
  const repository = dataSource.getRepository(ConnectorSecret);
  if ((await repository.countBy({ legacyPlaintext: Not(IsNull()) })) === 0) {
    const total = await repository.count();
    return { total, reencrypted: 0, sealedPlaintext: 0, alreadyCurrent: total, activeKeyId: box.activeKeyId };
  }
  return rotateSecrets(dataSource, box, { plaintextOnly: true });
}

/** The sealed value of a stored row; a SecretDecryptionError when a part is missing. */
export function sealedOf(row: ConnectorSecret) {
  if (row.ciphertext === null || row.iv === null || row.tag === null || row.keyId === null) {
    throw new SecretDecryptionError(`secret "${row.name}" of connector ${row.connectorId} is stored incomplete (no ciphertext, IV, tag or key id)`);
  }
  return { ciphertext: row.ciphertext, iv: row.iv, tag: row.tag, keyId: row.keyId };
}

/**
 * The destination a connector's secrets are bound to: the `host:port` of every endpoint its (validated)
 * configuration reaches, lower-cased, sorted and space-separated ('' for a kind that reaches nothing).
 */
export function secretDestination(kind: ConnectorKind, config: unknown): string {
  const endpoints = kind.endpoints(config).map((endpoint) => `${endpoint.host.toLowerCase().replace(/\.$/, '')}:${endpoint.port}`);
  return [...new Set(endpoints)].sort().join(' ');
}

/** Reads and writes the secrets of connectors. Without a box (production without SECRETS_KEYS) nothing is stored. */
export class ConnectorSecretStore {
  constructor(
    private readonly dataSource: DataSource,
    readonly box: SecretBox | null,
  ) {}

  /**
   * Sets (or, with an empty value, removes) secrets of a connector inside the caller's transaction, bound to
   * `destination` (see {@link secretDestination}): they are never sent anywhere else.
   */
  async write(
    manager: EntityManager,
    connectorId: number,
    secrets: ReadonlyArray<{ name: string; value: string }>,
    destination: string,
  ): Promise<void> {
    const repository = manager.getRepository(ConnectorSecret);
    for (const { name, value } of secrets) {
      await repository.delete({ connectorId, name });
      if (value === '') continue;
      if (!this.box) {
        throw new HubError('SERVICE_UNAVAILABLE', 'connector secrets cannot be stored: this hub has no encryption key (set SECRETS_KEYS)', 'input.secrets');
      }
      await repository.insert({ connectorId, name, legacyPlaintext: null, destination, ...this.box.seal(value, { connectorId, name }) });
    }
  }

  /** The secrets a connector has, by name, with the destination each was set for (null: not recorded). */
  async bindings(connectorId: number): Promise<Array<{ name: string; destination: string | null }>> {
    return this.dataSource
      .getRepository(ConnectorSecret)
      .find({ where: { connectorId }, select: { name: true, destination: true }, order: { name: 'ASC' } });
  }

  /**
   * The decrypted secrets of a connector; a CONFIG ConnectorError when one cannot be decrypted, or (with
   * `destination`) when one was set for another destination than the one the connector reaches now. Secrets
   * stored before destinations were recorded are bound, from then on, to `destination`. Secrets named in `except`
   * (given again by the caller) are neither checked nor decrypted.
   */
  async read(connectorId: number, destination?: string, except: ReadonlySet<string> = new Set()): Promise<Record<string, string>> {
    const rows = (await this.dataSource.getRepository(ConnectorSecret).findBy({ connectorId })).filter((row) => !except.has(row.name));
    if (destination !== undefined && rows.some((row) => row.destination === null)) {
      await this.dataSource.getRepository(ConnectorSecret).update({ connectorId, destination: IsNull() }, { destination });
    }
    const secrets: Record<string, string> = {};
    for (const row of rows) {
      if (destination !== undefined && row.destination !== null && row.destination !== destination) {
        throw new ConnectorError(
          'CONFIG',
          `secret "${row.name}" was set for ${row.destination || 'no destination'} and is never sent to ${destination || 'no destination'}: ` +
            'set it again with the connector\'s current configuration (updateConnector input.secrets)',
          false,
        );
      }
      if (row.legacyPlaintext !== null) {
        secrets[row.name] = row.legacyPlaintext;
        continue;
      }
      if (!this.box) throw new ConnectorError('CONFIG', `secret "${row.name}" cannot be decrypted: this hub has no encryption key (set SECRETS_KEYS)`, false);
      try {
        secrets[row.name] = this.box.open(sealedOf(row), { connectorId, name: row.name });
      } catch (error) {
        throw new ConnectorError('CONFIG', (error as Error).message, false);
      }
    }
    return secrets;
  }
}
