import { daysBetween, todayIn } from '../../common/clock';
import { ProgressStatus } from '../../common/enums';
import { ChangedField } from '../catalogue/change-record';

/** A change record as read for reports (tasks' and pilot models' histories share the shape). */
export interface ChangeRow {
  id: number;
  subjectId: number;
  field: ChangedField;
  fromValue: string | null;
  toValue: string;
  changedAt: Date;
  author: string;
  note: string | null;
}

/** The accountable facts of a task or pilot model as they stand today. */
export interface CurrentFacts {
  status: ProgressStatus;
  /** Null: none set (a pilot model may have no deadline or responsible person yet). */
  deadline: string | null;
  responsiblePerson: string | null;
  completedAt: Date | null;
}

export enum CompletionTiming {
  /** Completed on or before the deadline. */
  ON_TIME = 'ON_TIME',
  /** Completed after the deadline. */
  LATE = 'LATE',
  /** Completed, but the history only says "by" a date that is after the deadline: on time or late is not known. */
  UNDATED = 'UNDATED',
}

/** The facts of an item on a given day, rebuilt from its change history. */
export interface ItemState {
  status: ProgressStatus;
  /** Null: no deadline on asOf (never overdue, never due in a window). */
  deadline: string | null;
  responsiblePerson: string | null;
  /** For a completed item: the completion date when the history records it, else null. */
  completedOn: string | null;
  completion: CompletionTiming | null;
  /** Open and past its deadline on asOf. */
  overdue: boolean;
  /** Open: days from the deadline to asOf; completed late: days from the deadline to completion; else 0. */
  daysLate: number;
}

/** Whether the item's deadline on asOf falls from `from` to `to` (inclusive); never without a deadline. */
export function deadlineIn(state: Pick<ItemState, 'deadline'>, from: string, to: string): boolean {
  return state.deadline != null && state.deadline >= from && state.deadline <= to;
}

interface FieldValue {
  /** Null: none (no current value, or a record of a value set where there was none, fromValue ''). */
  value: string | null;
  /** The record that says the value holds, if any. */
  record: ChangeRow | null;
}

/**
 * The value of one field at the end of `asOf` (a local date in `timeZone`): the last change made on or before that
 * day; before the first recorded change, the value that change replaced, or — for an initial record, which has no
 * earlier value — the value it recorded; without any record, the current value.
 */
function valueAt(changes: readonly ChangeRow[], current: string | null, asOf: string, timeZone: string): FieldValue {
  let last: ChangeRow | null = null;
  for (const change of changes) {
    if (todayIn(timeZone, change.changedAt) > asOf) {
      if (last) break;
      return change.fromValue == null ? { value: change.toValue, record: change } : { value: change.fromValue || null, record: null };
    }
    last = change;
  }
  return last ? { value: last.toValue || null, record: last } : { value: current, record: null };
}

/**
 * Rebuilds an item's status, deadline and responsible person on `asOf` from its history (sorted oldest first).
 *
 * Completion timing: a recorded status change to COMPLETED dates the completion (the local day of the change);
 * it is on time when that day is not after the deadline in force on asOf. An initial record (the state as first
 * loaded, with no earlier value) or a completedAt without history only says the item was completed *by* that day:
 * on time when that day is not after the deadline, otherwise UNDATED.
 */
export function stateAt(item: CurrentFacts, history: readonly ChangeRow[], asOf: string, timeZone: string): ItemState {
  const of = (field: ChangedField) => history.filter((change) => change.field === field);
  const status = valueAt(of(ChangedField.STATUS), item.status, asOf, timeZone);
  const deadline = valueAt(of(ChangedField.DEADLINE), item.deadline, asOf, timeZone).value;
  const responsiblePerson = valueAt(of(ChangedField.RESPONSIBLE_PERSON), item.responsiblePerson, asOf, timeZone).value;
  const state: ItemState = {
    status: status.value as ProgressStatus,
    deadline,
    responsiblePerson,
    completedOn: null,
    completion: null,
    overdue: false,
    daysLate: 0,
  };
  if (state.status !== ProgressStatus.COMPLETED) {
    if (deadline == null) return state;
    state.overdue = deadline < asOf;
    state.daysLate = Math.max(0, daysBetween(deadline, asOf));
    return state;
  }
  const record = status.record;
  const exact = record != null && record.fromValue != null;
  const evidence = record ? todayIn(timeZone, record.changedAt) : item.completedAt ? todayIn(timeZone, item.completedAt) : null;
  // Completed on asOf means completed by asOf, whatever later record the state was read from.
  const by = evidence == null ? asOf : evidence < asOf ? evidence : asOf;
  // Without a deadline a completion is neither on time nor late: its day is kept when recorded.
  if (deadline == null) {
    if (exact) state.completedOn = by;
    return state;
  }
  if (exact) {
    state.completedOn = by;
    state.completion = by <= deadline ? CompletionTiming.ON_TIME : CompletionTiming.LATE;
    state.daysLate = Math.max(0, daysBetween(deadline, by));
  } else {
    state.completion = by <= deadline ? CompletionTiming.ON_TIME : CompletionTiming.UNDATED;
  }
  return state;
}
