import type { GraphQLResolveInfo } from 'graphql';
import {
  Arg,
  Args,
  Ctx,
  FieldResolver,
  Info,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
  type ClassType,
} from 'type-graphql';
import { daysBetween } from '../../common/clock';
import { ProgressStatus } from '../../common/enums';
import { notFound } from '../../common/errors';
import { CalendarDateScalar } from '../../common/scalars';
import { nestedConnection, PageArgs, rootConnection, type Connection } from '../../graphql/connection';
import type { HubContext } from '../../graphql/context';
import { Department } from '../departments/department.entity';
import { Metric } from '../metrics/metric.entity';
import type { AccountableItem } from './accountable-item';
import { AccountableItemService, isOverdue, judgementDate, overdueCondition } from './accountable-item.service';
import {
  AccountabilityUpdate,
  AccountableItemFilter,
  AccountableItemOrder,
  PilotModelConnection,
  StatusCounts,
  TaskConnection,
} from './catalogue.types';
import { ChangedField, ChangeRecord } from './change-record';
import { PilotModel, PilotModelChange } from './pilot-model.entity';
import { Program } from './program.entity';
import { TaskGroup } from './task-group.entity';
import { Task, TaskChange } from './task.entity';

const taskService = new AccountableItemService(Task, TaskChange, 'task');
const pilotModelService = new AccountableItemService(PilotModel, PilotModelChange, 'pilot model');

/** Field resolvers tasks and pilot models share: department, overdue, lateness, history. */
function accountableFieldsResolver<T extends AccountableItem>(objectType: ClassType<T>, changeEntity: ClassType<ChangeRecord>) {
  @Resolver(() => objectType)
  abstract class AccountableFieldsResolver {
    @FieldResolver(() => Department)
    async leadDepartment(@Root() item: T, @Ctx() context: HubContext): Promise<Department> {
      const department = await context.loaders.byId(Department, 'Department').load(item.leadDepartmentId);
      if (!department) throw notFound('department of', item.code);
      return department;
    }

    @FieldResolver(() => Boolean, { description: 'Not completed and past its deadline on asOf (default today).' })
    overdue(
      @Root() item: T,
      @Ctx() context: HubContext,
      @Arg('asOf', () => CalendarDateScalar, { nullable: true }) asOf?: string | null,
    ): boolean {
      return isOverdue(item, judgementDate(context, asOf));
    }

    @FieldResolver(() => Int, {
      description: 'Days past the deadline: until asOf (default today) while open, until completion once completed late; 0 when on time.',
    })
    daysLate(
      @Root() item: T,
      @Ctx() context: HubContext,
      @Arg('asOf', () => CalendarDateScalar, { nullable: true }) asOf?: string | null,
    ): number {
      const until = item.status === ProgressStatus.COMPLETED && item.completedAt
        ? item.completedAt.toISOString().slice(0, 10)
        : judgementDate(context, asOf);
      return Math.max(0, daysBetween(item.deadline, until));
    }

    @FieldResolver(() => [ChangeRecord], { description: 'Recorded changes, oldest first; only one field when `field` is given.' })
    async history(
      @Root() item: T,
      @Ctx() context: HubContext,
      @Arg('field', () => ChangedField, { nullable: true }) field?: ChangedField | null,
    ): Promise<ChangeRecord[]> {
      const records = await context.loaders
        .byForeignKey(changeEntity, 'subjectId', { changedAt: 'ASC', id: 'ASC' })
        .load(item.id);
      return field ? records.filter((record) => record.field === field) : records;
    }

    @FieldResolver(() => [ChangeRecord], { description: 'Status changes, oldest first, with author and note.' })
    async statusHistory(@Root() item: T, @Ctx() context: HubContext): Promise<ChangeRecord[]> {
      return this.history(item, context, ChangedField.STATUS);
    }
  }
  return AccountableFieldsResolver;
}

@Resolver(() => PilotModel)
export class PilotModelResolver extends accountableFieldsResolver(PilotModel, PilotModelChange) {
  @Query(() => PilotModel, { nullable: true, description: 'A pilot model by code, e.g. M03.' })
  pilotModel(@Arg('code') code: string, @Ctx() context: HubContext): Promise<PilotModel> {
    return pilotModelService.requireByCode(context, code);
  }

  @Query(() => PilotModelConnection, { description: 'Pilot models, filtered and ordered (default by code).' })
  pilotModels(
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: HubContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => AccountableItemFilter, { nullable: true }) filter?: AccountableItemFilter,
    @Arg('orderBy', () => AccountableItemOrder, { nullable: true }) orderBy?: AccountableItemOrder,
  ): Promise<Connection<PilotModel>> {
    return rootConnection({
      context,
      info,
      page,
      query: () => pilotModelService.filtered(context, filter),
      sort: pilotModelService.sortKeys(orderBy),
    });
  }

  @FieldResolver(() => TaskGroup)
  async taskGroup(@Root() model: PilotModel, @Ctx() context: HubContext): Promise<TaskGroup> {
    const group = await context.loaders.byId(TaskGroup, 'TaskGroup').load(model.taskGroupId);
    if (!group) throw notFound('task group of', model.code);
    return group;
  }

  @FieldResolver(() => [Department])
  supportingDepartments(@Root() model: PilotModel, @Ctx() context: HubContext): Promise<Department[]> {
    return context.loaders
      .get<number, Department[]>('supportingDepartments', async (modelIds) => {
        const rows = await context.dataSource
          .createQueryBuilder(Department, 'department')
          .innerJoin('pilot_model_supporting_department', 'link', 'link.departmentId = department.id')
          .addSelect('link.pilotModelId', 'pilotModelId')
          .where('link.pilotModelId IN (:...modelIds)', { modelIds: [...modelIds] })
          .orderBy('department.code')
          .getRawAndEntities();
        const groups = new Map<number, Department[]>(modelIds.map((id) => [id, []]));
        rows.raw.forEach((raw: { pilotModelId: number | string; department_id: number }) => {
          const department = rows.entities.find((entity) => entity.id === Number(raw.department_id));
          if (department) groups.get(Number(raw.pilotModelId))?.push(department);
        });
        return modelIds.map((id) => groups.get(id) ?? []);
      })
      .load(model.id);
  }

  @FieldResolver(() => [Metric], { description: 'Metrics that measure this model, by code.' })
  metrics(@Root() model: PilotModel, @Ctx() context: HubContext): Promise<Metric[]> {
    return context.loaders.byForeignKey(Metric, 'pilotModelId', { code: 'ASC' }).load(model.id);
  }

  @Mutation(() => PilotModel, { description: 'Changes a model’s status and records who, when and why.' })
  updatePilotModelStatus(
    @Arg('code') code: string,
    @Arg('status', () => ProgressStatus) status: ProgressStatus,
    @Arg('note', { description: 'Why the status changes (required).' }) note: string,
    @Ctx() context: HubContext,
  ): Promise<PilotModel> {
    return pilotModelService.changeStatus(context, code, status, note);
  }

  @Mutation(() => PilotModel, { description: 'Sets a model’s deadline or responsible person; each change is recorded.' })
  updatePilotModel(
    @Arg('code') code: string,
    @Arg('input', () => AccountabilityUpdate) input: AccountabilityUpdate,
    @Ctx() context: HubContext,
  ): Promise<PilotModel> {
    return pilotModelService.updateAccountability(context, code, input, false);
  }
}

@Resolver(() => Task)
export class TaskResolver extends accountableFieldsResolver(Task, TaskChange) {
  @Query(() => Task, { nullable: true, description: 'A task by code, e.g. T01.02.' })
  task(@Arg('code') code: string, @Ctx() context: HubContext): Promise<Task> {
    return taskService.requireByCode(context, code);
  }

  @Query(() => TaskConnection, { description: 'Tasks, filtered and ordered (default by code).' })
  tasks(
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: HubContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => AccountableItemFilter, { nullable: true }) filter?: AccountableItemFilter,
    @Arg('orderBy', () => AccountableItemOrder, { nullable: true }) orderBy?: AccountableItemOrder,
  ): Promise<Connection<Task>> {
    return rootConnection({
      context,
      info,
      page,
      query: () => taskService.filtered(context, filter),
      sort: taskService.sortKeys(orderBy),
    });
  }

  @FieldResolver(() => TaskGroup)
  async taskGroup(@Root() task: Task, @Ctx() context: HubContext): Promise<TaskGroup> {
    const group = await context.loaders.byId(TaskGroup, 'TaskGroup').load(task.taskGroupId);
    if (!group) throw notFound('task group of', task.code);
    return group;
  }

  @Mutation(() => Task, { description: 'Changes a task’s status and records who, when and why.' })
  updateTaskStatus(
    @Arg('code') code: string,
    @Arg('status', () => ProgressStatus) status: ProgressStatus,
    @Arg('note', { description: 'Why the status changes (required).' }) note: string,
    @Ctx() context: HubContext,
  ): Promise<Task> {
    return taskService.changeStatus(context, code, status, note);
  }

  @Mutation(() => Task, { description: 'Sets a task’s deadline, responsible person or target; each change is recorded.' })
  updateTask(
    @Arg('code') code: string,
    @Arg('input', () => AccountabilityUpdate) input: AccountabilityUpdate,
    @Ctx() context: HubContext,
  ): Promise<Task> {
    return taskService.updateAccountability(context, code, input, true);
  }
}

@Resolver(() => TaskGroup)
export class TaskGroupResolver {
  @Query(() => TaskGroup, { nullable: true })
  async taskGroup(@Arg('code') code: string, @Ctx() context: HubContext): Promise<TaskGroup> {
    const group = await context.dataSource.getRepository(TaskGroup).findOne({ where: { code } });
    if (!group) throw notFound('task group', code);
    return group;
  }

  @FieldResolver(() => Program)
  async program(@Root() group: TaskGroup, @Ctx() context: HubContext): Promise<Program> {
    const program = await context.loaders.byId(Program, 'Program').load(group.programId);
    if (!program) throw notFound('programme of', group.code);
    return program;
  }

  @FieldResolver(() => Department)
  async leadDepartment(@Root() group: TaskGroup, @Ctx() context: HubContext): Promise<Department> {
    const department = await context.loaders.byId(Department, 'Department').load(group.leadDepartmentId);
    if (!department) throw notFound('department of', group.code);
    return department;
  }

  @FieldResolver(() => TaskConnection, { description: 'Tasks of this group (default by code).' })
  tasks(
    @Root() group: TaskGroup,
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: HubContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => AccountableItemFilter, { nullable: true }) filter?: AccountableItemFilter,
    @Arg('orderBy', () => AccountableItemOrder, { nullable: true }) orderBy?: AccountableItemOrder,
  ): Promise<Connection<Task>> {
    return nestedConnection({
      context,
      info,
      page,
      name: 'TaskGroup.tasks',
      parentProperty: 'taskGroupId',
      parentId: group.id,
      variant: [filter, orderBy],
      query: () => taskService.filtered(context, filter),
      sort: taskService.sortKeys(orderBy),
    });
  }

  @FieldResolver(() => [PilotModel], { description: 'Pilot models filed under this group, by code.' })
  pilotModels(@Root() group: TaskGroup, @Ctx() context: HubContext): Promise<PilotModel[]> {
    return context.loaders.byForeignKey(PilotModel, 'taskGroupId', { code: 'ASC' }).load(group.id);
  }
}

type CountRow = { programId: number | string; status: ProgressStatus; total: number | string; overdue: number | string | null };

/** Status and overdue counts per programme for tasks or pilot models, in one grouped statement. */
async function statusCounts(
  context: HubContext,
  entity: typeof Task | typeof PilotModel,
  programIds: readonly number[],
  asOf: string,
): Promise<StatusCounts[]> {
  const rows = await context.dataSource
    .createQueryBuilder(entity, 'item')
    .innerJoin(TaskGroup, 'taskGroup', 'taskGroup.id = item.taskGroupId')
    .select('taskGroup.programId', 'programId')
    .addSelect('item.status', 'status')
    .addSelect('COUNT(*)', 'total')
    .addSelect(`SUM(CASE WHEN ${overdueCondition('item')} THEN 1 ELSE 0 END)`, 'overdue')
    .where('taskGroup.programId IN (:...programIds)', { programIds: [...programIds], overdueAsOf: asOf })
    .groupBy('taskGroup.programId')
    .addGroupBy('item.status')
    .getRawMany<CountRow>();
  return programIds.map((programId) => {
    const counts: StatusCounts = { total: 0, completed: 0, inProgress: 0, notStarted: 0, overdue: 0 };
    for (const row of rows.filter((candidate) => Number(candidate.programId) === programId)) {
      const total = Number(row.total);
      counts.total += total;
      counts.overdue += Number(row.overdue ?? 0);
      if (row.status === ProgressStatus.COMPLETED) counts.completed += total;
      else if (row.status === ProgressStatus.IN_PROGRESS) counts.inProgress += total;
      else counts.notStarted += total;
    }
    return counts;
  });
}

@Resolver(() => Program)
export class ProgramResolver {
  @Query(() => Program, { nullable: true, description: 'A programme by code, e.g. DA06.' })
  async program(@Arg('code') code: string, @Ctx() context: HubContext): Promise<Program> {
    const program = await context.dataSource.getRepository(Program).findOne({ where: { code } });
    if (!program) throw notFound('programme', code);
    return program;
  }

  @Query(() => [Program], { description: 'All programmes, by code.' })
  programs(@Ctx() context: HubContext): Promise<Program[]> {
    return context.dataSource.getRepository(Program).find({ order: { code: 'ASC' } });
  }

  @FieldResolver(() => [TaskGroup], { description: 'Task groups in plan order.' })
  taskGroups(@Root() program: Program, @Ctx() context: HubContext): Promise<TaskGroup[]> {
    return context.loaders.byForeignKey(TaskGroup, 'programId', { number: 'ASC' }).load(program.id);
  }

  @FieldResolver(() => StatusCounts, { description: 'Pilot models by status; overdue judged on asOf (default today).' })
  pilotModelCounts(
    @Root() program: Program,
    @Ctx() context: HubContext,
    @Arg('asOf', () => CalendarDateScalar, { nullable: true }) asOf?: string | null,
  ): Promise<StatusCounts> {
    const date = judgementDate(context, asOf);
    return context.loaders
      .get<number, StatusCounts>(`pilotModelCounts:${date}`, (ids) => statusCounts(context, PilotModel, ids, date))
      .load(program.id);
  }

  @FieldResolver(() => StatusCounts, { description: 'Tasks by status; overdue judged on asOf (default today).' })
  taskCounts(
    @Root() program: Program,
    @Ctx() context: HubContext,
    @Arg('asOf', () => CalendarDateScalar, { nullable: true }) asOf?: string | null,
  ): Promise<StatusCounts> {
    const date = judgementDate(context, asOf);
    return context.loaders
      .get<number, StatusCounts>(`taskCounts:${date}`, (ids) => statusCounts(context, Task, ids, date))
      .load(program.id);
  }
}
