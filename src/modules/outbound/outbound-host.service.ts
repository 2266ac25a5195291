import type { DataSource, EntityManager } from 'typeorm';
import { badInput, HubError, notFound } from '../../common/errors';
import { parseHostPattern, type HostPattern } from '../../security/outbound-policy';
import { OutboundHost } from './outbound-host.entity';

const NOTE_MAX = 500;

export interface NewOutboundHost {
  pattern: string;
  allowPrivate?: boolean | null;
  note?: string | null;
}

/** Validates a new entry; errors name the input field. */
export function validOutboundHost(input: NewOutboundHost, prefix = 'input'): { pattern: HostPattern; allowPrivate: boolean; note: string | null } {
  let pattern: HostPattern;
  try {
    pattern = parseHostPattern(input.pattern);
  } catch (error) {
    throw badInput(`${prefix}.pattern`, (error as Error).message);
  }
  const allowPrivate = input.allowPrivate ?? false;
  if (allowPrivate && (pattern.wildcard || pattern.port === null)) {
    throw badInput(`${prefix}.allowPrivate`, 'only an exact host with a port may reach loopback or private addresses (e.g. 10.0.5.20:8080)');
  }
  const note = input.note?.trim() || null;
  if (note && note.length > NOTE_MAX) throw badInput(`${prefix}.note`, `must be at most ${NOTE_MAX} characters`);
  return { pattern, allowPrivate, note };
}

/** Adds an entry to the outbound allowlist; CONFLICT when the same pattern is there. */
export async function addOutboundHost(dataSource: DataSource | EntityManager, input: NewOutboundHost, actor: string): Promise<OutboundHost> {
  const { pattern, allowPrivate, note } = validOutboundHost(input);
  const repository = dataSource.getRepository(OutboundHost);
  if (await repository.findOneBy({ pattern: pattern.pattern })) {
    throw new HubError('CONFLICT', `${pattern.pattern} is already on the outbound allowlist`, 'input.pattern');
  }
  return repository.save({ pattern: pattern.pattern, allowPrivate, note, createdBy: actor, createdAt: new Date() });
}

/**
 * Makes sure an entry exists (demo mode, tests): adds it unless the same pattern with the same allowPrivate
 * is there already.
 */
export async function ensureOutboundHost(dataSource: DataSource, input: NewOutboundHost, actor: string): Promise<OutboundHost> {
  const { pattern, allowPrivate, note } = validOutboundHost(input);
  const repository = dataSource.getRepository(OutboundHost);
  const existing = await repository.findOneBy({ pattern: pattern.pattern });
  if (existing && existing.allowPrivate === allowPrivate) return existing;
  if (existing) await repository.update(existing.id, { allowPrivate });
  else await repository.insert({ pattern: pattern.pattern, allowPrivate, note, createdBy: actor, createdAt: new Date() });
  return repository.findOneByOrFail({ pattern: pattern.pattern });
}

export async function removeOutboundHost(dataSource: DataSource, id: string): Promise<boolean> {
  if (!/^\d{1,9}$/.test(id)) throw badInput('id', `"${id}" is not an allowlist entry id`);
  const result = await dataSource.getRepository(OutboundHost).delete({ id: Number(id) });
  if (!result.affected) throw notFound('outbound host', id);
  return true;
}
