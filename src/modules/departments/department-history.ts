/**
 * Who led what when: after a reorganization an item's department column holds its successor, and the
 * department_move rows say which department it belonged to before each effective date. Reports as of a day read
 * the department from here, set-based (one statement for the day, one correlated subquery for runs).
 */
import { In, type DataSource, type EntityManager } from 'typeorm';
import { badInput } from '../../common/errors';
import { Department } from './department.entity';
import { DepartmentMove, DepartmentSuccession, MovedSubject } from './reorganization.entity';

/** Every department move, read in one statement: the department any item belonged to on any day. */
export class DepartmentTimeline {
  private constructor(private readonly moves: ReadonlyMap<string, ReadonlyArray<{ effectiveOn: string; fromDepartmentId: number }>>) {}

  static async load(source: DataSource | EntityManager): Promise<DepartmentTimeline> {
    const rows = await source
      .getRepository(DepartmentMove)
      .createQueryBuilder('move')
      .select(['move.id', 'move.subjectType', 'move.subjectId', 'move.fromDepartmentId', 'move.effectiveOn'])
      .where('move.subjectType <> :support', { support: MovedSubject.PILOT_MODEL_SUPPORT })
      .orderBy('move.effectiveOn', 'ASC')
      .addOrderBy('move.id', 'ASC')
      .getMany();
    const moves = new Map<string, Array<{ effectiveOn: string; fromDepartmentId: number }>>();
    for (const row of rows) {
      const key = `${row.subjectType}:${row.subjectId}`;
      moves.set(key, [...(moves.get(key) ?? []), { effectiveOn: row.effectiveOn, fromDepartmentId: row.fromDepartmentId }]);
    }
    return new DepartmentTimeline(moves);
  }

  /** The department `subject` #`id` belonged to on `day`, given the one it belongs to now: the first move after the day names it. */
  on(subject: MovedSubject, id: number, current: number, day: string): number {
    return this.moves.get(`${subject}:${id}`)?.find((move) => move.effectiveOn > day)?.fromDepartmentId ?? current;
  }
}

/**
 * SQL for the department a connector belonged to when a run started: the predecessor of the first move that took
 * effect after the run started, else the connector's department. `run` and `connector` are query aliases.
 */
export function connectorDepartmentAtRun(run: string, connector: string): string {
  return (
    `COALESCE((SELECT dm.fromDepartmentId FROM department_move dm WHERE dm.subjectType = '${MovedSubject.CONNECTOR}' ` +
    `AND dm.subjectId = ${connector}.id AND dm.effectiveAt > ${run}.startedAt ORDER BY dm.effectiveAt ASC, dm.id ASC LIMIT 1), ${connector}.departmentId)`
  );
}

/**
 * Successors and predecessors of departments, by department id, in three statements whatever their number: the
 * links of recorded merges and splits (in the order recorded), and `successorId` for an ending the catalogue
 * states without a recorded reorganization (the seeded 1 March 2025 mergers).
 */
export async function successionsOf(manager: DataSource | EntityManager, ids: readonly number[], direction: 'successors' | 'predecessors'): Promise<Department[][]> {
  const [key, other] = direction === 'successors' ? (['predecessorId', 'successorId'] as const) : (['successorId', 'predecessorId'] as const);
  const [links, stated] = await Promise.all([
    manager.getRepository(DepartmentSuccession).find({ where: { [key]: In([...ids]) }, order: { id: 'ASC' } }),
    manager.getRepository(Department).find({ select: { id: true, successorId: true }, where: [{ id: In([...ids]) }, { successorId: In([...ids]) }] }),
  ]);
  const pairs = links.map((link) => ({ from: link[key], to: link[other] }));
  for (const department of stated) {
    if (department.successorId == null) continue;
    const pair = direction === 'successors' ? { from: department.id, to: department.successorId } : { from: department.successorId, to: department.id };
    if (ids.includes(pair.from) && !pairs.some((known) => known.from === pair.from && known.to === pair.to)) pairs.push(pair);
  }
  const departments = pairs.length === 0 ? [] : await manager.getRepository(Department).findBy({ id: In(pairs.map((pair) => pair.to)) });
  const byId = new Map(departments.map((department) => [department.id, department]));
  return ids.map((id) => pairs.filter((pair) => pair.from === id).map((pair) => byId.get(pair.to)!));
}

/**
 * Refuses new work under a department a merge or split ended: from its effective date its successors hold its
 * work, and a key scoped to it must not start anything there (it keeps reading its history only).
 */
export async function assertNotReorganized(source: DataSource | EntityManager, department: Department, field: string): Promise<void> {
  const link = await source.getRepository(DepartmentSuccession).findOne({ where: { predecessorId: department.id }, relations: { reorganization: true, successor: true } });
  if (link) {
    throw badInput(
      field,
      `department ${department.code} was reorganized (${link.reorganization!.kind} effective ${link.reorganization!.effectiveOn}): its work passed to its successors; use one of them (e.g. ${link.successor!.code})`,
    );
  }
}
