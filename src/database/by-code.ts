import type { DataSource, EntityManager, EntityTarget, FindOneOptions } from 'typeorm';
import { notFound } from '../common/errors';

type Coded = { id: number; code: string };

/**
 * The row with exactly this code. Codes are case-sensitive identifiers; MySQL's default collation would also
 * match other letter cases, SQLite would not, so the comparison is finished here the same way for both.
 */
export async function findByCode<T extends Coded>(
  source: DataSource | EntityManager,
  target: EntityTarget<T>,
  code: string,
  options: Pick<FindOneOptions<T>, 'lock'> = {},
): Promise<T | null> {
  const row = await source.getRepository(target).findOne({ where: { code } as never, ...options });
  return row && row.code === code ? row : null;
}

/** Like findByCode, but an unknown code is a NOT_FOUND error naming `what`. */
export async function requireByCode<T extends Coded>(
  source: DataSource | EntityManager,
  target: EntityTarget<T>,
  what: string,
  code: string,
  options: Pick<FindOneOptions<T>, 'lock'> = {},
): Promise<T> {
  const row = await findByCode(source, target, code, options);
  if (!row) throw notFound(what, code);
  return row;
}
