/**
 * The work a reorganization moves: what departments hold (read in one statement per kind of item, whatever their
 * number), and the moves themselves (one UPDATE per kind and successor, one INSERT per table of records).
 */
import { In, IsNull, type EntityManager } from 'typeorm';
import { connectorMappingSchema, metricCodesOf } from '../../../connectors/sdk/mapping';
import { badInput } from '../../common/errors';
import type { RequestScope } from '../../common/request-scope';
import { inChunks } from '../../database/sql-dialect';
import { recordEach, type ChangeTable, type Recorded } from '../catalogue/catalogue-lifecycle.service';
import { ChangedField } from '../catalogue/change-record';
import { PilotModel, PilotModelChange } from '../catalogue/pilot-model.entity';
import { TaskGroup } from '../catalogue/task-group.entity';
import { Task, TaskChange } from '../catalogue/task.entity';
import { Connector } from '../connectors/connector.entity';
import { Metric, MetricChange } from '../metrics/metric.entity';
import { OutboundHostDepartment } from '../outbound/outbound-host.entity';
import { startOfDay } from '../progress/progress.service';
import type { Department } from './department.entity';
import { DepartmentMove, MovedSubject } from './reorganization.entity';

const SUPPORT_TABLE = 'pilot_model_supporting_department';
const CHUNK = 500;

/** An item a department holds: `code` is its code (a connector's: its database id), `name` what messages show. */
export interface Held {
  subject: MovedSubject;
  id: number;
  code: string;
  name: string;
  departmentId: number;
  /** A connector's mapped metrics (they must move with it). */
  metricCodes?: string[];
}

export interface Move {
  held: Held;
  to: Department;
}

/** How the kinds of items are stored: the table's entity, its department column, its history table. */
const STORED: Record<Exclude<MovedSubject, MovedSubject.PILOT_MODEL_SUPPORT>, { entity: typeof Task | typeof TaskGroup | typeof PilotModel | typeof Metric | typeof Connector; column: string; history: ChangeTable | null }> = {
  [MovedSubject.TASK]: { entity: Task, column: 'leadDepartmentId', history: TaskChange },
  [MovedSubject.TASK_GROUP]: { entity: TaskGroup, column: 'leadDepartmentId', history: null },
  [MovedSubject.PILOT_MODEL]: { entity: PilotModel, column: 'leadDepartmentId', history: PilotModelChange },
  [MovedSubject.METRIC]: { entity: Metric, column: 'departmentId', history: MetricChange },
  [MovedSubject.CONNECTOR]: { entity: Connector, column: 'departmentId', history: null },
};

/** The names the split input and messages use for each kind of item. */
export const SUBJECT_LISTS: Record<MovedSubject, string> = {
  [MovedSubject.TASK]: 'tasks',
  [MovedSubject.TASK_GROUP]: 'taskGroups',
  [MovedSubject.PILOT_MODEL]: 'pilotModels',
  [MovedSubject.PILOT_MODEL_SUPPORT]: 'pilotModels',
  [MovedSubject.METRIC]: 'metrics',
  [MovedSubject.CONNECTOR]: 'connectors',
};

/**
 * Everything the departments hold: tasks (open, completed and retired: the successor answers for all of them),
 * task groups, pilot models they lead or support, metrics, and connectors not deleted (a deleted connector's
 * ledger stays with the department that ran it).
 */
export async function heldBy(manager: EntityManager, departmentIds: number[]): Promise<Held[]> {
  const ids = In(departmentIds);
  const [tasks, groups, models, supports, metrics, connectors] = await Promise.all([
    manager.getRepository(Task).find({ select: { id: true, code: true, leadDepartmentId: true }, where: { leadDepartmentId: ids }, order: { code: 'ASC' } }),
    manager.getRepository(TaskGroup).find({ select: { id: true, code: true, leadDepartmentId: true }, where: { leadDepartmentId: ids }, order: { code: 'ASC' } }),
    manager.getRepository(PilotModel).find({ select: { id: true, code: true, leadDepartmentId: true }, where: { leadDepartmentId: ids }, order: { code: 'ASC' } }),
    manager
      .createQueryBuilder()
      .select('model.id', 'id')
      .addSelect('model.code', 'code')
      .addSelect('link.departmentId', 'departmentId')
      .from(SUPPORT_TABLE, 'link')
      .innerJoin(PilotModel, 'model', 'model.id = link.pilotModelId')
      .where('link.departmentId IN (:...departmentIds)', { departmentIds })
      .orderBy('model.code', 'ASC')
      .getRawMany<{ id: number | string; code: string; departmentId: number | string }>(),
    manager.getRepository(Metric).find({ select: { id: true, code: true, departmentId: true }, where: { departmentId: ids }, order: { code: 'ASC' } }),
    manager.getRepository(Connector).find({ select: { id: true, name: true, mapping: true, departmentId: true }, where: { departmentId: ids, deletedAt: IsNull() }, order: { id: 'ASC' } }),
  ]);
  const led = (subject: MovedSubject, rows: Array<{ id: number; code: string; leadDepartmentId: number }>): Held[] =>
    rows.map((row) => ({ subject, id: row.id, code: row.code, name: row.code, departmentId: row.leadDepartmentId }));
  return [
    ...led(MovedSubject.TASK_GROUP, groups),
    ...led(MovedSubject.TASK, tasks),
    ...led(MovedSubject.PILOT_MODEL, models),
    ...supports.map((row) => ({ subject: MovedSubject.PILOT_MODEL_SUPPORT, id: Number(row.id), code: row.code, name: row.code, departmentId: Number(row.departmentId) })),
    ...metrics.map((row) => ({ subject: MovedSubject.METRIC, id: row.id, code: row.code, name: row.code, departmentId: row.departmentId })),
    ...connectors.map((row) => ({
      subject: MovedSubject.CONNECTOR,
      id: row.id,
      code: String(row.id),
      name: `connector ${row.id} "${row.name}"`,
      departmentId: row.departmentId,
      metricCodes: mappedMetrics(row.mapping),
    })),
  ];
}

/** The metric codes a stored mapping names (none when each record names its own, as a push connector's do). */
function mappedMetrics(mapping: string): string[] {
  const parsed = connectorMappingSchema.safeParse(JSON.parse(mapping));
  return parsed.success ? metricCodesOf(parsed.data) : [];
}

/**
 * Refuses a move that would give a successor two connectors of one name (names are unique per department): the
 * connectors moving there and those it has (deleted ones included, they keep their names).
 */
export async function assertConnectorNamesFree(manager: EntityManager, moves: readonly Move[], field: (move: Move) => string): Promise<void> {
  const moving = moves.filter((move) => move.held.subject === MovedSubject.CONNECTOR);
  if (moving.length === 0) return;
  const rows = await manager.getRepository(Connector).find({ select: { id: true, name: true, departmentId: true }, where: { id: In(moving.map((move) => move.held.id)) } });
  const nameOf = new Map(rows.map((row) => [row.id, row.name]));
  const existing = await manager.getRepository(Connector).find({ select: { id: true, name: true, departmentId: true }, where: { departmentId: In([...new Set(moving.map((move) => move.to.id))]) } });
  const taken = new Map(existing.map((row) => [`${row.departmentId}\u0000${row.name}`, `connector ${row.id}`]));
  for (const move of moving) {
    const key = `${move.to.id}\u0000${nameOf.get(move.held.id)}`;
    const holder = taken.get(key);
    if (holder && holder !== `connector ${move.held.id}`) {
      throw badInput(field(move), `${move.held.name} cannot move to ${move.to.code}: ${holder} there has the same name (names are unique per department); rename one first`);
    }
    taken.set(key, `connector ${move.held.id}`);
  }
}

/**
 * Applies the moves: each item's department column, supporting links, a department_move row per item (so reports as
 * of an earlier day find the predecessor) and a LEAD_DEPARTMENT / SUPPORTING_DEPARTMENT record in the item's
 * history; successors that receive connectors get the predecessors' outbound-host grants, so they keep running.
 */
export async function applyMoves(scope: RequestScope, manager: EntityManager, reorganizationId: number, effectiveOn: string, departments: ReadonlyMap<number, Department>, moves: readonly Move[], note: string): Promise<void> {
  const codeOf = (id: number) => departments.get(id)!.code;
  for (const [subject, stored] of Object.entries(STORED) as Array<[MovedSubject, (typeof STORED)[keyof typeof STORED]]>) {
    const bySuccessor = new Map<number, number[]>();
    for (const move of moves.filter((candidate) => candidate.held.subject === subject)) bySuccessor.set(move.to.id, [...(bySuccessor.get(move.to.id) ?? []), move.held.id]);
    for (const [to, ids] of bySuccessor) {
      await inChunks(ids, CHUNK, (chunk) => manager.createQueryBuilder().update(stored.entity).set({ [stored.column]: to } as never).where('id IN (:...ids)', { ids: [...chunk] }).execute().then(() => undefined));
    }
  }
  const dropped = await moveSupport(manager, moves.filter((move) => move.held.subject === MovedSubject.PILOT_MODEL_SUPPORT));

  const effectiveAt = startOfDay(effectiveOn, scope.timeZone);
  await inChunks(moves, CHUNK, async (chunk) => {
    await manager.getRepository(DepartmentMove).insert(chunk.map((move) => ({
      reorganizationId, subjectType: move.held.subject, subjectId: move.held.id, fromDepartmentId: move.held.departmentId, toDepartmentId: move.to.id, effectiveOn, effectiveAt,
    })));
  });

  const histories: Array<[ChangeTable, MovedSubject[]]> = [[TaskChange, [MovedSubject.TASK]], [PilotModelChange, [MovedSubject.PILOT_MODEL, MovedSubject.PILOT_MODEL_SUPPORT]], [MetricChange, [MovedSubject.METRIC]]];
  for (const [table, subjects] of histories) {
    const records = moves.filter((move) => subjects.includes(move.held.subject)).map((move): Recorded & { subjectId: number } => {
      const support = move.held.subject === MovedSubject.PILOT_MODEL_SUPPORT;
      const key = support ? 'supportingDepartment' : move.held.subject === MovedSubject.METRIC ? 'department' : 'leadDepartment';
      const to = support && dropped.has(move) ? '' : move.to.code;
      return {
        subjectId: move.held.id,
        field: support ? ChangedField.SUPPORTING_DEPARTMENT : ChangedField.LEAD_DEPARTMENT,
        fromValue: codeOf(move.held.departmentId),
        toValue: to,
        diff: { [key]: { from: codeOf(move.held.departmentId), to: to || null }, effectiveOn: { from: null, to: effectiveOn } },
      };
    });
    await inChunks(records, CHUNK, (chunk) => recordEach(scope, manager, table, [...chunk], note));
  }
  await extendOutboundGrants(manager, moves.filter((move) => move.held.subject === MovedSubject.CONNECTOR));
}

/**
 * Replaces a predecessor among a model's supporting departments by its successor, unless the successor now leads
 * the model or supports it already (then the link is only removed). Returns the moves whose link was dropped.
 */
async function moveSupport(manager: EntityManager, moves: readonly Move[]): Promise<Set<Move>> {
  const dropped = new Set<Move>();
  if (moves.length === 0) return dropped;
  const modelIds = [...new Set(moves.map((move) => move.held.id))];
  const [models, links] = await Promise.all([
    manager.getRepository(PilotModel).find({ select: { id: true, leadDepartmentId: true }, where: { id: In(modelIds) } }),
    manager.createQueryBuilder().select('link.pilotModelId', 'pilotModelId').addSelect('link.departmentId', 'departmentId').from(SUPPORT_TABLE, 'link')
      .where('link.pilotModelId IN (:...modelIds)', { modelIds }).getRawMany<{ pilotModelId: number | string; departmentId: number | string }>(),
  ]);
  const lead = new Map(models.map((model) => [model.id, model.leadDepartmentId]));
  const supported = new Set(links.map((link) => `${Number(link.pilotModelId)}:${Number(link.departmentId)}`));
  const added: Array<{ pilotModelId: number; departmentId: number }> = [];
  // Every supporting link of the predecessors moves: remove them all at once, then add the successors'.
  const predecessorIds = [...new Set(moves.map((move) => move.held.departmentId))];
  await manager.createQueryBuilder().delete().from(SUPPORT_TABLE).where('pilotModelId IN (:...modelIds) AND departmentId IN (:...predecessorIds)', { modelIds, predecessorIds }).execute();
  for (const move of moves) supported.delete(`${move.held.id}:${move.held.departmentId}`);
  for (const move of moves) {
    const key = `${move.held.id}:${move.to.id}`;
    if (lead.get(move.held.id) === move.to.id || supported.has(key)) {
      dropped.add(move);
      continue;
    }
    supported.add(key);
    added.push({ pilotModelId: move.held.id, departmentId: move.to.id });
  }
  if (added.length > 0) await manager.createQueryBuilder().insert().into(SUPPORT_TABLE, ['pilotModelId', 'departmentId']).values(added).execute();
  return dropped;
}

/** Successors receiving connectors get the outbound hosts granted to the connectors' predecessors (no other host). */
async function extendOutboundGrants(manager: EntityManager, moves: readonly Move[]): Promise<void> {
  if (moves.length === 0) return;
  const grants = manager.getRepository(OutboundHostDepartment);
  const rows = await grants.find({ where: { departmentId: In([...new Set([...moves.map((move) => move.held.departmentId), ...moves.map((move) => move.to.id)])]) } });
  const has = new Set(rows.map((row) => `${row.outboundHostId}:${row.departmentId}`));
  const missing: Array<{ outboundHostId: number; departmentId: number }> = [];
  for (const move of moves) {
    for (const row of rows.filter((grant) => grant.departmentId === move.held.departmentId)) {
      const key = `${row.outboundHostId}:${move.to.id}`;
      if (has.has(key)) continue;
      has.add(key);
      missing.push({ outboundHostId: row.outboundHostId, departmentId: move.to.id });
    }
  }
  if (missing.length > 0) await grants.insert(missing);
}
