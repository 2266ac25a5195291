import type { EntityManager, EntityTarget, SelectQueryBuilder } from 'typeorm';
import { daysBetween, todayIn } from '../../common/clock';
import { ProgressStatus, SortDirection } from '../../common/enums';
import { badInput, HubError } from '../../common/errors';
import { assertDepartmentAccess } from '../../security/access';
import { requireByCode } from '../../database/by-code';
import { isSqlite, type RequestScope } from '../../common/request-scope';
import type { SortKey } from '../../graphql/connection';
import { Department } from '../departments/department.entity';
import type { AccountableItem } from './accountable-item';
import { optionalDate } from './catalogue-checks';
import type { AccountabilityUpdate, AccountableItemFilter, AccountableItemOrder } from './catalogue.types';
import { ChangedField, type ChangeRecord } from './change-record';
import { TaskGroup } from './task-group.entity';

interface Subject extends AccountableItem {
  taskGroupId: number | null;
}

/** Changes an update makes beyond the shared facts (a pilot model's filing): values, DEFINITION diff entries, the writes that go with them. */
type Amend<T> = (scope: RequestScope, manager: EntityManager, item: T, update: AccountabilityUpdate) => Promise<{
  values: Partial<T>;
  diff: Record<string, { from: unknown; to: unknown }>;
  apply: () => Promise<void>;
}>;

const NOTE_MAX = 2000;
/** Definition fields of the update input: a model's name, a task's title (ADMIN only). */
const DEFINITION_FIELDS = ['name', 'nameVi', 'title', 'titleVi'] as const;
type DefinitionField = (typeof DEFINITION_FIELDS)[number];

/** Resolves the date deadlines are judged against: the one asked for, or the request's today in the hub's zone. */
export function judgementDate(scope: RequestScope, asOf?: string | null): string {
  return asOf || scope.today;
}

/** Days past the deadline: until asOf while open, until the (local) completion date once completed; 0 without a deadline. */
export function daysLate(item: AccountableItem, asOf: string, timeZone: string): number {
  if (item.deadline == null) return 0;
  const until = item.status === ProgressStatus.COMPLETED && item.completedAt ? todayIn(timeZone, item.completedAt) : asOf;
  return Math.max(0, daysBetween(item.deadline, until));
}

/** Not completed and past its deadline; an item without a deadline (a pilot model may have none yet) is never overdue. */
export function isOverdue(item: AccountableItem, asOf: string): boolean {
  return item.status !== ProgressStatus.COMPLETED && item.deadline != null && item.deadline < asOf;
}

/** SQL condition (on `alias`) for "not completed and past the deadline" (false, never unknown, without a deadline). */
export function overdueCondition(alias: string): string {
  return `(${alias}.status <> '${ProgressStatus.COMPLETED}' AND ${alias}.deadline IS NOT NULL AND ${alias}.deadline < :overdueAsOf)`;
}

/** Shared reads and writes of tasks and pilot models, which carry the same accountable facts. */
export class AccountableItemService<T extends Subject, C extends ChangeRecord> {
  constructor(
    private readonly entity: EntityTarget<T>,
    private readonly changeEntity: EntityTarget<C>,
    private readonly what: string,
    /** Pilot models: the task group and supporting departments an update may change (tasks: none). */
    private readonly amend?: Amend<T>,
  ) {}

  async filtered(scope: RequestScope, filter: AccountableItemFilter | null | undefined): Promise<SelectQueryBuilder<T>> {
    const query = scope.dataSource.getRepository(this.entity).createQueryBuilder('item');
    if (!filter) return query;
    if (filter.status) query.andWhere('item.status = :status', { status: filter.status });
    if (filter.leadDepartment) {
      const department = await requireByCode(scope.dataSource, Department, 'department', filter.leadDepartment);
      query.andWhere('item.leadDepartmentId = :departmentId', { departmentId: department.id });
    }
    if (filter.taskGroup) {
      const taskGroup = await requireByCode(scope.dataSource, TaskGroup, 'task group', filter.taskGroup);
      query.andWhere('item.taskGroupId = :taskGroupId', { taskGroupId: taskGroup.id });
    }
    if (filter.planYear != null) {
      const year = filter.planYear;
      if (!Number.isInteger(year) || year < 2000 || year > 2100) throw badInput('filter.planYear', 'must be a year from 2000 to 2100');
      // A task counts in its group's plan year, a pilot model from its own first plan year on (it may have no group).
      if (this.what === 'task') query.innerJoin(TaskGroup, 'planGroup', 'planGroup.id = item.taskGroupId').andWhere('planGroup.planYear = :planYear', { planYear: year });
      else query.andWhere('item.planYear <= :planYear', { planYear: year });
      query.andWhere('(item.retiredOn IS NULL OR item.retiredOn >= :nextYear)', { nextYear: `${year + 1}-01-01` });
    }
    if (filter.retired != null) query.andWhere(filter.retired ? 'item.retiredOn IS NOT NULL' : 'item.retiredOn IS NULL');
    if (filter.overdue != null) {
      const condition = overdueCondition('item');
      query.andWhere(filter.overdue ? condition : `NOT ${condition}`, { overdueAsOf: judgementDate(scope, filter.asOf) });
    }
    return query;
  }

  sortKeys(order: AccountableItemOrder | null | undefined): Array<SortKey<T>> {
    const field = (order?.field ?? 'code') as keyof T & string;
    return [{ property: field, direction: order?.direction ?? SortDirection.ASC }];
  }

  requireByCode(scope: RequestScope, code: string): Promise<T> {
    return requireByCode(scope.dataSource, this.entity, this.what, code);
  }

  /** Changes the status and appends a history record, both or neither. */
  async changeStatus(scope: RequestScope, code: string, status: ProgressStatus, note: string): Promise<T> {
    const trimmedNote = note.trim();
    if (trimmedNote.length === 0) throw badInput('note', 'say why the status changes');
    if (trimmedNote.length > NOTE_MAX) throw badInput('note', `must be at most ${NOTE_MAX} characters`);
    return this.updateAccountability(scope, code, { status, note: trimmedNote }, true);
  }

  /**
   * Applies status / progress note / deadline / responsible person / target changes, one history record per
   * changed fact, all or nothing. A department-scoped caller (DEPARTMENT_IT) reports on the items its
   * departments lead: status and progress note only; any other field is FORBIDDEN, naming it.
   */
  async updateAccountability(
    scope: RequestScope,
    code: string,
    update: AccountabilityUpdate,
    targetAllowed: boolean,
  ): Promise<T> {
    if (scope.principal.departmentIds !== null) {
      for (const field of ['deadline', 'responsiblePerson', 'targetValue', 'taskGroup', 'supportingDepartments', ...DEFINITION_FIELDS] as const) {
        if (update[field] != null) {
          throw new HubError('FORBIDDEN', `input.${field}: a department reports status and progress note only; ${field} is set by an ADMIN`, `input.${field}`);
        }
      }
    }
    // A model has a name, a task a title.
    const ownDefinition: readonly DefinitionField[] = this.what === 'task' ? ['title', 'titleVi'] : ['name', 'nameVi'];
    const definition: Partial<Record<DefinitionField, string>> = {};
    for (const field of DEFINITION_FIELDS) {
      const value = update[field];
      if (value == null) continue;
      if (!ownDefinition.includes(field)) throw badInput(`input.${field}`, `a ${this.what} has no ${field}; it has ${ownDefinition.join(' and ')}`);
      const text = value.trim();
      const max = this.what === 'task' ? 500 : 300;
      if (!text) throw badInput(`input.${field}`, 'must not be blank');
      if (text.length > max) throw badInput(`input.${field}`, `must be at most ${max} characters`);
      definition[field] = text;
    }
    if (!this.amend) {
      for (const field of ['taskGroup', 'supportingDepartments'] as const) {
        if (update[field] != null) throw badInput(`input.${field}`, `pilot models only: a ${this.what} cannot change its ${field} (a task stays in its plan's group)`);
      }
    }
    const deadline = optionalDate('input.deadline', update.deadline);
    if (update.targetValue != null && !targetAllowed) {
      throw badInput('input.targetValue', `a ${this.what} has no target of its own; set the targets of its metrics`);
    }
    if (update.targetValue != null && (!Number.isFinite(update.targetValue) || update.targetValue < 0)) {
      throw badInput('input.targetValue', 'must be a non-negative number');
    }
    const responsiblePerson = update.responsiblePerson?.trim();
    if (update.responsiblePerson != null && !responsiblePerson) throw badInput('input.responsiblePerson', 'must not be blank');
    const progressNote = update.progressNote?.trim();
    if (progressNote != null && progressNote.length > NOTE_MAX) throw badInput('input.progressNote', `must be at most ${NOTE_MAX} characters`);
    const note = update.note?.trim() || null;
    return scope.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(this.entity);
      const item = await requireByCode(manager, this.entity, this.what, code, { lock: this.lockFor(scope) });
      assertDepartmentAccess(scope.principal, item.leadDepartmentId, `${this.what} ${item.code}`);
      const current = item as T & { targetValue?: number | null };
      const changes: Array<{ field: ChangedField; property: string; from: unknown; to: unknown }> = [];
      const changedAt = new Date();
      if (update.status != null && update.status !== item.status) {
        changes.push({ field: ChangedField.STATUS, property: 'status', from: item.status, to: update.status });
      }
      if (progressNote != null && (progressNote || null) !== item.progressNote) {
        changes.push({ field: ChangedField.PROGRESS_NOTE, property: 'progressNote', from: item.progressNote, to: progressNote || null });
      }
      if (deadline != null && deadline !== item.deadline) {
        changes.push({ field: ChangedField.DEADLINE, property: 'deadline', from: item.deadline, to: deadline });
      }
      if (responsiblePerson && responsiblePerson !== item.responsiblePerson) {
        changes.push({ field: ChangedField.RESPONSIBLE_PERSON, property: 'responsiblePerson', from: item.responsiblePerson, to: responsiblePerson });
      }
      if (update.targetValue != null && update.targetValue !== current.targetValue) {
        changes.push({ field: ChangedField.TARGET, property: 'targetValue', from: current.targetValue, to: update.targetValue });
      }
      const named = item as unknown as Record<DefinitionField, string>;
      const diff: Record<string, { from: unknown; to: unknown }> = Object.fromEntries(
        (Object.entries(definition) as Array<[DefinitionField, string]>).filter(([field, value]) => named[field] !== value).map(([field, value]) => [field, { from: named[field], to: value }]),
      );
      const amended = this.amend ? await this.amend(scope, manager, item, update) : null;
      if (changes.length === 0 && Object.keys(diff).length === 0 && Object.keys(amended?.diff ?? {}).length === 0) return item;
      if (item.retiredOn) throw badInput('code', `${this.what} ${item.code} was retired on ${item.retiredOn}; it is no longer reported on`);
      const values: Record<string, unknown> = {
        ...Object.fromEntries(changes.map((change) => [change.property, change.to])),
        ...Object.fromEntries(Object.entries(diff).map(([field, { to }]) => [field, to])),
        ...amended?.values,
      };
      Object.assign(diff, amended?.diff);
      await amended?.apply();
      if (update.status != null && update.status !== item.status) values.completedAt = update.status === ProgressStatus.COMPLETED ? changedAt : null;
      if (Object.keys(values).length > 0) await repository.update(item.id, values as never);
      if (changes.length > 0) await manager.getRepository(this.changeEntity).insert(
        changes.map((change) => ({
          subjectId: item.id,
          field: change.field,
          // A deadline or responsible person set where there was none: '' (none before), not null (an initial record).
          fromValue: change.from == null ? (change.field === ChangedField.DEADLINE || change.field === ChangedField.RESPONSIBLE_PERSON ? '' : null) : String(change.from).slice(0, 300),
          toValue: change.to == null ? '' : String(change.to).slice(0, 300),
          details: change.field === ChangedField.PROGRESS_NOTE ? JSON.stringify({ progressNote: { from: change.from, to: change.to } }) : null,
          changedAt,
          author: scope.actor,
          note,
        })) as never,
      );
      if (Object.keys(diff).length > 0) {
        await manager.getRepository(this.changeEntity).insert({
          subjectId: item.id,
          field: ChangedField.DEFINITION,
          fromValue: null,
          toValue: Object.keys(diff).join(','),
          details: JSON.stringify(diff),
          changedAt,
          author: scope.actor,
          note,
        } as never);
      }
      return repository.findOneOrFail({ where: { id: item.id } as never });
    });
  }

  /** Row lock for read-modify-write; SQLite serialises writers already and has no SELECT … FOR UPDATE. */
  private lockFor(scope: RequestScope) {
    return isSqlite(scope.dataSource) ? undefined : ({ mode: 'pessimistic_write' } as const);
  }
}
