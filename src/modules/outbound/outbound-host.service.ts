import { In, type DataSource, type EntityManager } from 'typeorm';
import { badInput, HubError, notFound } from '../../common/errors';
import type { RequestScope } from '../../common/request-scope';
import { parseHostPattern, type HostPattern } from '../../security/outbound-policy';
import { Department } from '../departments/department.entity';
import { OutboundHost, OutboundHostDepartment } from './outbound-host.entity';
import { parseNodeId } from '../../graphql/node-id';

const NOTE_MAX = 500;

/** The outbound allowlist, by pattern. */
export function listOutboundHosts(dataSource: DataSource): Promise<OutboundHost[]> {
  return dataSource.getRepository(OutboundHost).find({ order: { pattern: 'ASC' } });
}

/** Departments whose connectors may use an entry, by code, through the request's loaders. */
export async function outboundHostDepartments(scope: RequestScope, hostId: number): Promise<Department[]> {
  const grants = await scope.loaders.outboundHostGrants.load(hostId);
  const departments = await Promise.all(grants.map((grant) => scope.loaders.related(Department, grant.departmentId)));
  return departments.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

export interface NewOutboundHost {
  pattern: string;
  allowPrivate?: boolean | null;
  note?: string | null;
  /** Codes of the departments whose connectors may use the entry; none: connectors an administrator configured. */
  departments?: readonly string[] | null;
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

/** The departments of `codes` (each once), or BAD_USER_INPUT naming `field` and the unknown codes. */
async function departmentsOf(source: DataSource | EntityManager, codes: readonly string[], field: string): Promise<Department[]> {
  const wanted = [...new Set(codes.map((code) => code.trim()))];
  if (wanted.length === 0) return [];
  const found = (await source.getRepository(Department).findBy({ code: In(wanted) })).filter((department) => wanted.includes(department.code));
  const unknown = wanted.filter((code) => !found.some((department) => department.code === code));
  if (unknown.length > 0) throw badInput(field, `unknown department ${unknown.map((code) => `"${code}"`).join(', ')}`);
  return found;
}

async function writeDepartments(manager: EntityManager, outboundHostId: number, departments: readonly Department[]): Promise<void> {
  const repository = manager.getRepository(OutboundHostDepartment);
  await repository.delete({ outboundHostId });
  if (departments.length > 0) await repository.insert(departments.map((department) => ({ outboundHostId, departmentId: department.id })));
}

/** Adds an entry to the outbound allowlist; CONFLICT when the same pattern is there. */
export async function addOutboundHost(dataSource: DataSource, input: NewOutboundHost, actor: string): Promise<OutboundHost> {
  const { pattern, allowPrivate, note } = validOutboundHost(input);
  const departments = await departmentsOf(dataSource, input.departments ?? [], 'input.departments');
  return dataSource.transaction(async (manager) => {
    const repository = manager.getRepository(OutboundHost);
    if (await repository.findOneBy({ pattern: pattern.pattern })) {
      throw new HubError('CONFLICT', `${pattern.pattern} is already on the outbound allowlist`, 'input.pattern');
    }
    const saved = await repository.save({ pattern: pattern.pattern, allowPrivate, note, createdBy: actor, createdAt: new Date() });
    await writeDepartments(manager, saved.id, departments);
    return saved;
  });
}

/** Replaces the departments whose connectors may use an entry ([]: only connectors an administrator configured). */
export async function setOutboundHostDepartments(dataSource: DataSource, id: string, codes: readonly string[]): Promise<OutboundHost> {
  const entryId = parseEntryId(id);
  const departments = await departmentsOf(dataSource, codes, 'departments');
  return dataSource.transaction(async (manager) => {
    const entry = await manager.getRepository(OutboundHost).findOneBy({ id: entryId });
    if (!entry) throw notFound('outbound host', id);
    await writeDepartments(manager, entry.id, departments);
    return entry;
  });
}

/** Department ids granted each entry, by entry id (entries granted none are absent). */
export async function departmentIdsByEntry(source: DataSource | EntityManager, entryIds?: readonly number[]): Promise<Map<number, number[]>> {
  const rows = await source.getRepository(OutboundHostDepartment).find(entryIds ? { where: { outboundHostId: In([...entryIds, -1]) } } : {});
  const grants = new Map<number, number[]>();
  for (const row of rows) grants.set(row.outboundHostId, [...(grants.get(row.outboundHostId) ?? []), row.departmentId]);
  return grants;
}

/**
 * Makes sure an entry exists (demo mode, tests): adds it unless the same pattern with the same allowPrivate
 * is there already; the departments given are granted besides those the entry has.
 */
export async function ensureOutboundHost(dataSource: DataSource, input: NewOutboundHost, actor: string): Promise<OutboundHost> {
  const { pattern, allowPrivate, note } = validOutboundHost(input);
  const departments = await departmentsOf(dataSource, input.departments ?? [], 'input.departments');
  const repository = dataSource.getRepository(OutboundHost);
  const existing = await repository.findOneBy({ pattern: pattern.pattern });
  if (existing && existing.allowPrivate !== allowPrivate) await repository.update(existing.id, { allowPrivate });
  if (!existing) await repository.insert({ pattern: pattern.pattern, allowPrivate, note, createdBy: actor, createdAt: new Date() });
  const entry = await repository.findOneByOrFail({ pattern: pattern.pattern });
  const granted = (await departmentIdsByEntry(dataSource, [entry.id])).get(entry.id) ?? [];
  const missing = departments.filter((department) => !granted.includes(department.id));
  if (missing.length > 0) await dataSource.getRepository(OutboundHostDepartment).insert(missing.map((department) => ({ outboundHostId: entry.id, departmentId: department.id })));
  return entry;
}

function parseEntryId(id: string): number {
  return parseNodeId(id, 'OutboundHost', 'id', 'allowlist entry');
}

export async function removeOutboundHost(dataSource: DataSource, id: string): Promise<boolean> {
  const result = await dataSource.getRepository(OutboundHost).delete({ id: parseEntryId(id) });
  if (!result.affected) throw notFound('outbound host', id);
  return true;
}
