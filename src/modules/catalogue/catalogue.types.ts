import { MaxLength, MinLength } from 'class-validator';
import { Field, Float, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ProgressStatus, SortDirection } from '../../common/enums';
import { CalendarDateScalar } from '../../common/scalars';
import { connectionType } from '../../graphql/connection';
import { PilotModel } from './pilot-model.entity';
import { Program } from './program.entity';
import { TaskGroup } from './task-group.entity';
import { Task } from './task.entity';

export const PilotModelConnection = connectionType(PilotModel, 'PilotModel');
export const TaskConnection = connectionType(Task, 'Task');
export const TaskGroupConnection = connectionType(TaskGroup, 'TaskGroup');
export const ProgramConnection = connectionType(Program, 'Program');

@ObjectType({ description: 'How many items are in each status, and how many are overdue.' })
export class StatusCounts {
  @Field(() => Int, { description: 'Number of items.' })
  total: number;

  @Field(() => Int, { description: 'Items with status COMPLETED.' })
  completed: number;

  @Field(() => Int, { description: 'Items with status IN_PROGRESS.' })
  inProgress: number;

  @Field(() => Int, { description: 'Items with status NOT_STARTED.' })
  notStarted: number;

  @Field(() => Int, { description: 'Not completed and past the deadline on the asOf date.' })
  overdue: number;
}

@InputType({ description: 'Filters for pilot models and tasks; all given filters must match.' })
export class AccountableItemFilter {
  @Field(() => ProgressStatus, { nullable: true, description: 'Only items in this status.' })
  status?: ProgressStatus | null;

  @Field(() => String, { nullable: true, description: 'Code of the lead department.' })
  leadDepartment?: string | null;

  @Field(() => String, { nullable: true, description: 'Code of the task group.' })
  taskGroup?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Only items that are (true) or are not (false) overdue.' })
  overdue?: boolean | null;

  @Field(() => CalendarDateScalar, { nullable: true, description: 'Date against which deadlines are judged; default today.' })
  asOf?: string | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Only items of this plan year: tasks of its plan, models filed up to it and not retired by it (as the counts); null: every year.',
  })
  planYear?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Only retired (true) or only current (false) items; null: both.' })
  retired?: boolean | null;
}

export enum AccountableItemOrderField {
  CODE = 'code',
  DEADLINE = 'deadline',
  STATUS = 'status',
}
registerEnumType(AccountableItemOrderField, {
  name: 'AccountableItemOrderField',
  description: 'What tasks and pilot models can be ordered by.',
  valuesConfig: {
    CODE: { description: 'The item\'s code (e.g. M01, T01.02).' },
    DEADLINE: { description: 'The deadline (YYYY-MM-DD).' },
    STATUS: { description: 'Progress status: NOT_STARTED, IN_PROGRESS, COMPLETED.' },
  },
});

@InputType({ description: 'Ordering of tasks or pilot models; ties are broken by code.' })
export class AccountableItemOrder {
  @Field(() => AccountableItemOrderField, { description: 'What to order by.' })
  field: AccountableItemOrderField;

  @Field(() => SortDirection, { defaultValue: SortDirection.ASC, description: 'ASC (default) or DESC.' })
  direction: SortDirection;
}

@InputType({
  description:
    'Changes to a pilot model or task; omitted fields stay as they are. A DEPARTMENT_IT caller may send status and progressNote only, for items its departments lead.',
})
export class AccountabilityUpdate {
  @Field(() => ProgressStatus, { nullable: true, description: 'New progress status (the lead department may report it).' })
  status?: ProgressStatus | null;

  @Field(() => String, { nullable: true, description: 'Progress note of the lead department (báo cáo tiến độ); empty text clears it.' })
  @MaxLength(2000)
  progressNote?: string | null;

  @Field(() => CalendarDateScalar, { nullable: true, description: 'New deadline (YYYY-MM-DD).' })
  deadline?: string | null;

  @Field(() => String, { nullable: true, description: 'A role title, not a person’s name.' })
  @MinLength(2)
  @MaxLength(200)
  responsiblePerson?: string | null;

  @Field(() => Float, { nullable: true, description: 'Tasks only: the target quantity of the product.' })
  targetValue?: number | null;

  @Field(() => String, { nullable: true, description: 'Pilot models only: the name in English.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'Pilot models only: the name in Vietnamese (tên mô hình).' })
  nameVi?: string | null;

  @Field(() => String, { nullable: true, description: 'Tasks only: what the task requires, in English.' })
  title?: string | null;

  @Field(() => String, { nullable: true, description: 'Tasks only: what the task requires, in Vietnamese (nội dung nhiệm vụ).' })
  titleVi?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Pilot models only (ADMIN): code of the task group to file it under, of its programme; recorded as DEFINITION.',
  })
  taskGroup?: string | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Pilot models only (ADMIN): the codes of all its supporting departments (replacing the list; [] removes them); recorded as DEFINITION.',
  })
  supportingDepartments?: string[] | null;

  @Field(() => String, { nullable: true, description: 'Why the change was made; kept in the history.' })
  @MaxLength(2000)
  note?: string | null;
}
