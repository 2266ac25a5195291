import DataLoader from 'dataloader';
import type { DataSource, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { HubConfig } from '../config';
import type { ConnectorService } from '../modules/connectors/connector.service';
import type { ApiKeyService } from '../security/api-key.service';
import type { Principal } from '../security/principal';

/**
 * Per-request DataLoaders, created on first use and keyed by name (which includes any arguments that
 * change the result), so every relation a response follows costs one statement per level, not per row.
 */
export type EntityClass<T> = { new (): T; name: string };

export class RequestLoaders {
  private readonly loaders = new Map<string, DataLoader<unknown, unknown>>();

  constructor(private readonly dataSource: DataSource) {}

  get<K, V>(name: string, batch: (keys: readonly K[]) => Promise<Array<V | Error>>): DataLoader<K, V> {
    let loader = this.loaders.get(name);
    if (!loader) {
      loader = new DataLoader<K, V>(batch) as DataLoader<unknown, unknown>;
      this.loaders.set(name, loader);
    }
    return loader as DataLoader<K, V>;
  }

  /** Rows of `target` by primary key; a missing row resolves to null. */
  byId<T extends ObjectLiteral & { id: number }>(target: EntityClass<T>): DataLoader<number, T | null> {
    return this.get<number, T | null>(`byId:${target.name}`, async (ids) => {
      // A query builder rather than find options: the same SQL, built with less work on every request.
      const rows = await this.dataSource.getRepository(target).createQueryBuilder('row').where('row.id IN (:...ids)', { ids: [...ids] }).getMany();
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    });
  }

  /** The row a foreign key points at; its absence is a broken reference, not a user error. */
  async related<T extends ObjectLiteral & { id: number }>(target: EntityClass<T>, id: number): Promise<T> {
    const row = await this.byId(target).load(id);
    if (!row) throw new Error(`${target.name} ${id} is referenced but missing`);
    return row;
  }

  /** Rows of `target` grouped by a foreign key, in the given order. */
  byForeignKey<T extends ObjectLiteral>(target: EntityTarget<T>, foreignKey: keyof T & string, order: ForeignKeyOrder<T>): DataLoader<number, T[]> {
    return this.get<number, T[]>(`byForeignKey:${String(target instanceof Function ? target.name : target)}:${foreignKey}`, async (keys) => {
      const rows = await this.foreignKeyQuery(target, order).where(`row.${foreignKey} IN (:...keys)`, { keys: [...keys] }).getMany();
      return groupByKey(rows, foreignKey, keys);
    });
  }

  /**
   * Fetches what byForeignKey would for the parents a subquery selects (its `id` column: e.g. a page being read
   * at the same time); `prime`, given the parents found, primes byForeignKey with their rows so no statement follows.
   */
  async preloadByForeignKey<T extends ObjectLiteral, P extends { id: number }>(
    target: EntityTarget<T>,
    foreignKey: keyof T & string,
    order: ForeignKeyOrder<T>,
    parentIds: SelectQueryBuilder<P>,
  ): Promise<{ rows: T[]; prime: (parents: readonly P[]) => void }> {
    const rows = await this.foreignKeyQuery(target, order)
      .innerJoin(`(${parentIds.getQuery()})`, 'parent', `parent.id = row.${foreignKey}`)
      .setParameters(parentIds.getParameters())
      .getMany();
    const prime = (parents: readonly P[]) => {
      const keys = parents.map((parent) => parent.id);
      const loader = this.byForeignKey(target, foreignKey, order);
      groupByKey(rows, foreignKey, keys).forEach((group, index) => loader.prime(keys[index], group));
    };
    return { rows, prime };
  }

  private foreignKeyQuery<T extends ObjectLiteral>(target: EntityTarget<T>, order: ForeignKeyOrder<T>): SelectQueryBuilder<T> {
    const query = this.dataSource.getRepository(target).createQueryBuilder('row');
    for (const [property, direction] of Object.entries(order)) query.addOrderBy(`row.${property}`, direction as 'ASC' | 'DESC');
    return query;
  }
}

type ForeignKeyOrder<T> = Partial<Record<keyof T & string, 'ASC' | 'DESC'>>;

/** Rows grouped by a foreign key, one list (possibly empty) per key, in the order of `keys`. */
function groupByKey<T extends ObjectLiteral>(rows: T[], foreignKey: keyof T & string, keys: readonly number[]): T[][] {
  const groups = new Map<number, T[]>(keys.map((key) => [key, []]));
  for (const row of rows) groups.get(Number(row[foreignKey]))?.push(row);
  return keys.map((key) => groups.get(key) ?? []);
}

/** Connector operations of this process (absent where connectors are not started). */
export interface ConnectorOperations {
  service: ConnectorService;
  /** Next scheduled fire of a connector, or null. */
  nextRunAt(connectorId: number): Date | null;
}

export interface HubContext {
  dataSource: DataSource;
  connectors?: ConnectorOperations;
  config: HubConfig;
  loaders: RequestLoaders;
  /** The authenticated caller; every authorization decision reads it. */
  principal: Principal;
  /** Who is calling, recorded as the author of catalogue changes (the principal's name). */
  actor: string;
  /** Id of the HTTP request, carried into logs and the runs it starts. */
  requestId?: string;
  /** API key management (createApiKey, revokeApiKey). */
  apiKeys: ApiKeyService;
  /** Network address of the caller, recorded in the audit log. */
  clientIp?: string;
}
