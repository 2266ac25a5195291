import type DataLoader from 'dataloader';
import type { GraphQLResolveInfo } from 'graphql';
import {
  Arg,
  Args,
  Authorized,
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
import { ProgressStatus, SortDirection } from '../../common/enums';
import { CalendarDateScalar } from '../../common/scalars';
import { nestedConnection, PageArgs, rootConnection, selectsPath, type Connection, type PageAlongside } from '../../graphql/connection';
import { scopeOf, type HubContext } from '../../graphql/context';
import type { RequestLoaders } from '../../graphql/loaders';
import { connectionCost, listCost } from '../../graphql/limits';
import { Department } from '../departments/department.entity';
import { ALL_ROLES, CONNECTOR_WRITE_ROLES } from '../../security/access';
import { Metric } from '../metrics/metric.entity';
import type { AccountableItem } from './accountable-item';
import { AccountableItemService, daysLate, isOverdue, judgementDate } from './accountable-item.service';
import {
  pilotModelService,
  preloadModelMetrics,
  programCounts,
  programsQuery,
  requireProgram,
  requireTaskGroup,
  taskGroupsQuery,
  taskService,
} from './catalogue.service';
import {
  AccountabilityUpdate,
  AccountableItemFilter,
  AccountableItemOrder,
  PilotModelConnection,
  ProgramConnection,
  StatusCounts,
  TaskConnection,
  TaskGroupConnection,
} from './catalogue.types';
import { ChangedField, ChangeRecord } from './change-record';
import { PilotModel } from './pilot-model.entity';
import { Program } from './program.entity';
import { TaskGroup } from './task-group.entity';
import { Task } from './task.entity';

const PAGE_METRICS = ['edges', 'node', 'metrics'];
const PLAN_YEAR_ARGUMENT =
  'Plan year counted (tasks of that year’s plan; models filed up to it and not retired by it); default the year of asOf, or the latest plan before it.';

interface AccountableType<T extends AccountableItem & { taskGroupId: number | null; taskGroup?: TaskGroup | null }> {
  objectType: ClassType<T>;
  connectionType: ClassType<Connection<T>>;
  /** The request's loader of an item's recorded changes, oldest first. */
  changes: (loaders: RequestLoaders) => DataLoader<number, ChangeRecord[]>;
  service: AccountableItemService<T, ChangeRecord>;
  /** GraphQL names: `task` → task, tasks, updateTaskStatus, updateTask. */
  singular: string;
  plural: string;
  typeName: string;
  example: string;
  /** Whether the accountability update may set a target (tasks have one, models have metrics). */
  hasTarget: boolean;
  /** Whether an item may be filed under no task group (a pilot model may; a task always belongs to its plan's group). */
  groupOptional: boolean;
  /** Loads the fields under a page's nodes will need, sent with the page (see PageAlongside); undefined when none applies. */
  alongsidePage?: (context: HubContext, info: GraphQLResolveInfo) => PageAlongside<T> | undefined;
}

/** Queries, mutations and fields that tasks and pilot models share, named after each type. */
function accountableResolver<T extends AccountableItem & { taskGroupId: number | null; taskGroup?: TaskGroup | null }>(type: AccountableType<T>) {
  @Resolver(() => type.objectType)
  abstract class AccountableResolver {
    @Authorized(...ALL_ROLES)
    @Query(() => type.objectType, { name: type.singular, nullable: true, description: `A ${type.singular} by code, e.g. ${type.example}.` })
    lookup(@Arg('code', { description: `Code of the ${type.singular}, e.g. ${type.example}.` }) code: string, @Ctx() context: HubContext): Promise<T> {
      return type.service.requireByCode(scopeOf(context), code);
    }

    @Authorized(...ALL_ROLES)
    @Query(() => type.connectionType, { name: type.plural, complexity: connectionCost, description: `${type.typeName}s, filtered and ordered (default by code).` })
    list(
      @Args(() => PageArgs) page: PageArgs,
      @Ctx() context: HubContext,
      @Info() info: GraphQLResolveInfo,
      @Arg('filter', () => AccountableItemFilter, { nullable: true, description: 'Only items matching every given filter; null: all.' }) filter?: AccountableItemFilter,
      @Arg('orderBy', () => AccountableItemOrder, { nullable: true, description: 'Ordering; default by code ascending.' }) orderBy?: AccountableItemOrder,
    ): Promise<Connection<T>> {
      return rootConnection({
        context,
        info,
        page,
        query: () => type.service.filtered(scopeOf(context), filter),
        sort: type.service.sortKeys(orderBy),
        alongside: type.alongsidePage?.(context, info),
        joinable: ['leadDepartment', 'taskGroup'],
      });
    }

    @Authorized(...CONNECTOR_WRITE_ROLES)
    @Mutation(() => type.objectType, {
      name: `update${type.typeName}Status`,
      description: `Changes a ${type.singular}’s status and records who, when and why; a DEPARTMENT_IT caller for the ${type.plural} its departments lead (else FORBIDDEN).`,
    })
    changeStatus(
      @Arg('code', { description: 'Code of the item to change, e.g. M01 or T01.02.' }) code: string,
      @Arg('status', () => ProgressStatus, { description: 'The new status.' }) status: ProgressStatus,
      @Arg('note', { description: 'Why the status changes (required).' }) note: string,
      @Ctx() context: HubContext,
    ): Promise<T> {
      return type.service.changeStatus(scopeOf(context), code, status, note);
    }

    @Authorized(...CONNECTOR_WRITE_ROLES)
    @Mutation(() => type.objectType, {
      name: `update${type.typeName}`,
      description:
        `Sets a ${type.singular}’s status, progress note, deadline or responsible person${type.hasTarget ? ' or target' : ''}; each change is recorded. ` +
        `A DEPARTMENT_IT caller reports status and progress note of the ${type.plural} its departments lead; any other field is FORBIDDEN.`,
    })
    updateAccountability(
      @Arg('code', { description: 'Code of the item to change, e.g. M01 or T01.02.' }) code: string,
      @Arg('input', () => AccountabilityUpdate, { validate: { forbidUnknownValues: false }, description: 'The facts to change; omitted fields stay as they are.' }) input: AccountabilityUpdate,
      @Ctx() context: HubContext,
    ): Promise<T> {
      return type.service.updateAccountability(scopeOf(context), code, input, type.hasTarget);
    }

    @FieldResolver(() => Department, { description: 'The department that leads it (đơn vị chủ trì) and answers for it.' })
    async leadDepartment(@Root() item: T, @Ctx() context: HubContext): Promise<Department> {
      return context.loaders.related(Department, item.leadDepartmentId);
    }

    @FieldResolver(() => TaskGroup, {
      nullable: type.groupOptional,
      description: type.groupOptional ? 'The task group of the plan it is filed under; null while filed under none.' : 'The task group of the plan it is filed under.',
    })
    async taskGroup(@Root() item: T, @Ctx() context: HubContext): Promise<TaskGroup | null> {
      return item.taskGroupId == null ? null : context.loaders.related(TaskGroup, item.taskGroupId);
    }

    @FieldResolver(() => Boolean, { description: 'Not completed and past its deadline on asOf (default today).' })
    overdue(
      @Root() item: T,
      @Ctx() context: HubContext,
      @Arg('asOf', () => CalendarDateScalar, { nullable: true, description: 'Date to judge on (YYYY-MM-DD); default today in the hub\'s time zone.' }) asOf?: string | null,
    ): boolean {
      return isOverdue(item, judgementDate(scopeOf(context), asOf));
    }

    @FieldResolver(() => Int, {
      description: 'Days past the deadline: until asOf (default today) while open, until completion once completed late; 0 when on time or without a deadline.',
    })
    daysLate(
      @Root() item: T,
      @Ctx() context: HubContext,
      @Arg('asOf', () => CalendarDateScalar, { nullable: true, description: 'Date to judge on (YYYY-MM-DD); default today in the hub\'s time zone.' }) asOf?: string | null,
    ): number {
      const scope = scopeOf(context);
      return daysLate(item, judgementDate(scope, asOf), scope.timeZone);
    }

    @FieldResolver(() => [ChangeRecord], { complexity: listCost, description: 'Recorded changes, oldest first; only one field when `field` is given.' })
    async history(
      @Root() item: T,
      @Ctx() context: HubContext,
      @Arg('field', () => ChangedField, { nullable: true, description: 'Only changes of this fact; null: all.' }) field?: ChangedField | null,
    ): Promise<ChangeRecord[]> {
      const records = await type.changes(context.loaders).load(item.id);
      return field ? records.filter((record) => record.field === field) : records;
    }

    @FieldResolver(() => [ChangeRecord], { complexity: listCost, description: 'Status changes, oldest first, with author and note.' })
    async statusHistory(@Root() item: T, @Ctx() context: HubContext): Promise<ChangeRecord[]> {
      return this.history(item, context, ChangedField.STATUS);
    }
  }
  return AccountableResolver;
}

@Resolver(() => PilotModel)
export class PilotModelResolver extends accountableResolver({
  objectType: PilotModel,
  connectionType: PilotModelConnection,
  changes: (loaders) => loaders.pilotModelChanges,
  service: pilotModelService,
  singular: 'pilotModel',
  plural: 'pilotModels',
  typeName: 'PilotModel',
  example: 'M03',
  hasTarget: false,
  groupOptional: true,
  // A dashboard lists models with their metrics: those are read with the page, not after it, and their latest
  // values (the slowest statement of a dashboard) start as soon as the metrics are known.
  alongsidePage: (context, info) => {
    if (!selectsPath(info, PAGE_METRICS)) return undefined;
    const withLatest = selectsPath(info, [...PAGE_METRICS, 'latest']);
    return (pageIds) => preloadModelMetrics(scopeOf(context), pageIds, withLatest);
  },
}) {
  @FieldResolver(() => [Department], { complexity: listCost, description: 'Departments that support the lead department (đơn vị phối hợp), by code.' })
  supportingDepartments(@Root() model: PilotModel, @Ctx() context: HubContext): Promise<Department[]> {
    return context.loaders.supportingDepartments.load(model.id);
  }

  @FieldResolver(() => [Metric], { complexity: listCost, description: 'Metrics that measure this model, by code.' })
  metrics(@Root() model: PilotModel, @Ctx() context: HubContext): Promise<Metric[]> {
    return context.loaders.metricsByPilotModel.load(model.id);
  }
}

@Resolver(() => Task)
export class TaskResolver extends accountableResolver({
  objectType: Task,
  connectionType: TaskConnection,
  changes: (loaders) => loaders.taskChanges,
  service: taskService,
  singular: 'task',
  plural: 'tasks',
  typeName: 'Task',
  example: 'T01.02',
  hasTarget: true,
  groupOptional: false,
}) {
  @FieldResolver(() => Int, { description: 'Year of the plan the task belongs to (its task group’s).' })
  async planYear(@Root() task: Task, @Ctx() context: HubContext): Promise<number> {
    return (await context.loaders.related(TaskGroup, task.taskGroupId)).planYear;
  }

  @FieldResolver(() => Task, { nullable: true, description: 'The unfinished task of an earlier plan year this one carries over; null when it is new in its plan.' })
  async carriedOverFrom(@Root() task: Task, @Ctx() context: HubContext): Promise<Task | null> {
    return task.originTaskId == null ? null : context.loaders.related(Task, task.originTaskId);
  }
}

@Resolver(() => TaskGroup)
export class TaskGroupResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => TaskGroup, { nullable: true, description: 'A task group by code, e.g. TG01.' })
  taskGroup(@Arg('code', { description: 'Code of the task group, e.g. TG01.' }) code: string, @Ctx() context: HubContext): Promise<TaskGroup> {
    return requireTaskGroup(context.dataSource, code);
  }

  @Authorized(...ALL_ROLES)
  @Query(() => TaskGroupConnection, { complexity: connectionCost, description: 'Task groups in plan order.' })
  taskGroups(
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: HubContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('program', () => String, { nullable: true, description: 'Code of the programme, e.g. DA06.' }) programCode?: string | null,
  ): Promise<Connection<TaskGroup>> {
    return rootConnection({
      context,
      info,
      page,
      query: () => taskGroupsQuery(context.dataSource, programCode),
      sort: [{ property: 'programId', direction: SortDirection.ASC }, { property: 'number', direction: SortDirection.ASC }],
    });
  }

  @FieldResolver(() => Program, { description: 'The programme the group belongs to.' })
  async program(@Root() group: TaskGroup, @Ctx() context: HubContext): Promise<Program> {
    return context.loaders.related(Program, group.programId);
  }

  @FieldResolver(() => Department, { description: 'The department that leads the group.' })
  async leadDepartment(@Root() group: TaskGroup, @Ctx() context: HubContext): Promise<Department> {
    return context.loaders.related(Department, group.leadDepartmentId);
  }

  @FieldResolver(() => TaskConnection, { complexity: connectionCost, description: 'Tasks of this group (default by code).' })
  tasks(
    @Root() group: TaskGroup,
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: HubContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => AccountableItemFilter, { nullable: true, description: 'Only tasks matching every given filter; null: all.' }) filter?: AccountableItemFilter,
    @Arg('orderBy', () => AccountableItemOrder, { nullable: true, description: 'Ordering; default by code ascending.' }) orderBy?: AccountableItemOrder,
  ): Promise<Connection<Task>> {
    return nestedConnection({
      context,
      info,
      page,
      name: 'TaskGroup.tasks',
      parentProperty: 'taskGroupId',
      parentId: group.id,
      variant: [filter, orderBy],
      query: () => taskService.filtered(scopeOf(context), filter),
      sort: taskService.sortKeys(orderBy),
    });
  }

  @FieldResolver(() => [PilotModel], { complexity: listCost, description: 'Pilot models filed under this group, by code.' })
  pilotModels(@Root() group: TaskGroup, @Ctx() context: HubContext): Promise<PilotModel[]> {
    return context.loaders.pilotModelsByTaskGroup.load(group.id);
  }
}

@Resolver(() => Program)
export class ProgramResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => Program, { nullable: true, description: 'A programme by code, e.g. DA06.' })
  program(@Arg('code', { description: 'Code of the programme, e.g. DA06.' }) code: string, @Ctx() context: HubContext): Promise<Program> {
    return requireProgram(context.dataSource, code);
  }

  @Authorized(...ALL_ROLES)
  @Query(() => ProgramConnection, { complexity: connectionCost, description: 'Programmes by code.' })
  programs(
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: HubContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Connection<Program>> {
    return rootConnection({
      context,
      info,
      page,
      query: () => programsQuery(context.dataSource),
      sort: [{ property: 'code', direction: SortDirection.ASC }],
    });
  }

  @FieldResolver(() => [TaskGroup], { complexity: listCost, description: 'Task groups in plan order.' })
  taskGroups(@Root() program: Program, @Ctx() context: HubContext): Promise<TaskGroup[]> {
    return context.loaders.taskGroupsByProgram.load(program.id);
  }

  @FieldResolver(() => [Int], { complexity: listCost, description: 'Years the programme has a plan for (task groups), ascending.' })
  async planYears(@Root() program: Program, @Ctx() context: HubContext): Promise<number[]> {
    const groups = await context.loaders.taskGroupsByProgram.load(program.id);
    return [...new Set(groups.map((group) => group.planYear))].sort((a, b) => a - b);
  }

  @FieldResolver(() => StatusCounts, { description: 'Pilot models by status; overdue judged on asOf (default today).' })
  pilotModelCounts(
    @Root() program: Program,
    @Ctx() context: HubContext,
    @Arg('asOf', () => CalendarDateScalar, { nullable: true, description: 'Date to judge overdue on (YYYY-MM-DD); default today.' }) asOf?: string | null,
    @Arg('planYear', () => Int, { nullable: true, description: PLAN_YEAR_ARGUMENT }) planYear?: number | null,
  ): Promise<StatusCounts> {
    return programCounts(scopeOf(context), program.id, 'model', asOf, planYear);
  }

  @FieldResolver(() => StatusCounts, { description: 'Tasks by status; overdue judged on asOf (default today).' })
  taskCounts(
    @Root() program: Program,
    @Ctx() context: HubContext,
    @Arg('asOf', () => CalendarDateScalar, { nullable: true, description: 'Date to judge overdue on (YYYY-MM-DD); default today.' }) asOf?: string | null,
    @Arg('planYear', () => Int, { nullable: true, description: PLAN_YEAR_ARGUMENT }) planYear?: number | null,
  ): Promise<StatusCounts> {
    return programCounts(scopeOf(context), program.id, 'task', asOf, planYear);
  }
}
