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
import { requireByCode } from '../../database/by-code';
import type { HubContext } from '../../graphql/context';
import { connectionCost, listCost } from '../../graphql/limits';
import { Department } from '../departments/department.entity';
import { ADMIN_ONLY, ALL_ROLES } from '../../security/access';
import { Metric } from '../metrics/metric.entity';
import { prefetchLatestPoints } from '../observations/metric-values';
import type { AccountableItem } from './accountable-item';
import { AccountableItemService, daysLate, isOverdue, judgementDate, overdueCondition } from './accountable-item.service';
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
import { PilotModel, PilotModelChange } from './pilot-model.entity';
import { Program } from './program.entity';
import { TaskGroup } from './task-group.entity';
import { Task, TaskChange } from './task.entity';

/** Metrics of a model, as `PilotModel.metrics` lists them. */
const METRIC_ORDER = { code: 'ASC' } as const;
const PAGE_METRICS = ['edges', 'node', 'metrics'];

const taskService = new AccountableItemService(Task, TaskChange, 'task');
const pilotModelService = new AccountableItemService(PilotModel, PilotModelChange, 'pilot model');

interface AccountableType<T extends AccountableItem & { taskGroupId: number; taskGroup?: TaskGroup }> {
  objectType: ClassType<T>;
  connectionType: ClassType<Connection<T>>;
  changeEntity: ClassType<ChangeRecord>;
  service: AccountableItemService<T, ChangeRecord>;
  /** GraphQL names: `task` → task, tasks, updateTaskStatus, updateTask. */
  singular: string;
  plural: string;
  typeName: string;
  example: string;
  /** Whether the accountability update may set a target (tasks have one, models have metrics). */
  hasTarget: boolean;
  /** Loads the fields under a page's nodes will need, sent with the page (see PageAlongside); undefined when none applies. */
  alongsidePage?: (context: HubContext, info: GraphQLResolveInfo) => PageAlongside<T> | undefined;
}

/** Queries, mutations and fields that tasks and pilot models share, named after each type. */
function accountableResolver<T extends AccountableItem & { taskGroupId: number; taskGroup?: TaskGroup }>(type: AccountableType<T>) {
  @Resolver(() => type.objectType)
  abstract class AccountableResolver {
    @Authorized(...ALL_ROLES)
    @Query(() => type.objectType, { name: type.singular, nullable: true, description: `A ${type.singular} by code, e.g. ${type.example}.` })
    lookup(@Arg('code') code: string, @Ctx() context: HubContext): Promise<T> {
      return type.service.requireByCode(context, code);
    }

    @Authorized(...ALL_ROLES)
    @Query(() => type.connectionType, { name: type.plural, complexity: connectionCost, description: `${type.typeName}s, filtered and ordered (default by code).` })
    list(
      @Args(() => PageArgs) page: PageArgs,
      @Ctx() context: HubContext,
      @Info() info: GraphQLResolveInfo,
      @Arg('filter', () => AccountableItemFilter, { nullable: true }) filter?: AccountableItemFilter,
      @Arg('orderBy', () => AccountableItemOrder, { nullable: true }) orderBy?: AccountableItemOrder,
    ): Promise<Connection<T>> {
      return rootConnection({
        context,
        info,
        page,
        query: () => type.service.filtered(context, filter),
        sort: type.service.sortKeys(orderBy),
        alongside: type.alongsidePage?.(context, info),
        joinable: ['leadDepartment', 'taskGroup'],
      });
    }

    @Authorized(...ADMIN_ONLY)
    @Mutation(() => type.objectType, {
      name: `update${type.typeName}Status`,
      description: `Changes a ${type.singular}’s status and records who, when and why.`,
    })
    changeStatus(
      @Arg('code') code: string,
      @Arg('status', () => ProgressStatus) status: ProgressStatus,
      @Arg('note', { description: 'Why the status changes (required).' }) note: string,
      @Ctx() context: HubContext,
    ): Promise<T> {
      return type.service.changeStatus(context, code, status, note);
    }

    @Authorized(...ADMIN_ONLY)
    @Mutation(() => type.objectType, {
      name: `update${type.typeName}`,
      description: `Sets a ${type.singular}’s deadline or responsible person${type.hasTarget ? ' or target' : ''}; each change is recorded.`,
    })
    updateAccountability(
      @Arg('code') code: string,
      @Arg('input', () => AccountabilityUpdate, { validate: { forbidUnknownValues: false } }) input: AccountabilityUpdate,
      @Ctx() context: HubContext,
    ): Promise<T> {
      return type.service.updateAccountability(context, code, input, type.hasTarget);
    }

    @FieldResolver(() => Department)
    async leadDepartment(@Root() item: T, @Ctx() context: HubContext): Promise<Department> {
      return context.loaders.related(Department, item.leadDepartmentId);
    }

    @FieldResolver(() => TaskGroup)
    async taskGroup(@Root() item: T, @Ctx() context: HubContext): Promise<TaskGroup> {
      return context.loaders.related(TaskGroup, item.taskGroupId);
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
      return daysLate(item, judgementDate(context, asOf), context.config.timeZone);
    }

    @FieldResolver(() => [ChangeRecord], { complexity: listCost, description: 'Recorded changes, oldest first; only one field when `field` is given.' })
    async history(
      @Root() item: T,
      @Ctx() context: HubContext,
      @Arg('field', () => ChangedField, { nullable: true }) field?: ChangedField | null,
    ): Promise<ChangeRecord[]> {
      const records = await context.loaders
        .byForeignKey(type.changeEntity, 'subjectId', { changedAt: 'ASC', id: 'ASC' })
        .load(item.id);
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
  changeEntity: PilotModelChange,
  service: pilotModelService,
  singular: 'pilotModel',
  plural: 'pilotModels',
  typeName: 'PilotModel',
  example: 'M03',
  hasTarget: false,
  // A dashboard lists models with their metrics: those are read with the page, not after it, and their latest
  // values (the slowest statement of a dashboard) start as soon as the metrics are known.
  alongsidePage: (context, info) => {
    if (!selectsPath(info, PAGE_METRICS)) return undefined;
    const withLatest = selectsPath(info, [...PAGE_METRICS, 'latest']);
    return async (pageIds) => {
      const { rows, prime } = await context.loaders.preloadByForeignKey(Metric, 'pilotModelId', METRIC_ORDER, pageIds);
      if (withLatest) await prefetchLatestPoints(context, rows);
      return prime;
    };
  },
}) {
  @FieldResolver(() => [Department], { complexity: listCost })
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

  @FieldResolver(() => [Metric], { complexity: listCost, description: 'Metrics that measure this model, by code.' })
  metrics(@Root() model: PilotModel, @Ctx() context: HubContext): Promise<Metric[]> {
    return context.loaders.byForeignKey(Metric, 'pilotModelId', METRIC_ORDER).load(model.id);
  }
}

@Resolver(() => Task)
export class TaskResolver extends accountableResolver({
  objectType: Task,
  connectionType: TaskConnection,
  changeEntity: TaskChange,
  service: taskService,
  singular: 'task',
  plural: 'tasks',
  typeName: 'Task',
  example: 'T01.02',
  hasTarget: true,
}) {}

@Resolver(() => TaskGroup)
export class TaskGroupResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => TaskGroup, { nullable: true })
  taskGroup(@Arg('code') code: string, @Ctx() context: HubContext): Promise<TaskGroup> {
    return requireByCode(context.dataSource, TaskGroup, 'task group', code);
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
      query: async () => {
        const query = context.dataSource.getRepository(TaskGroup).createQueryBuilder('taskGroup');
        if (programCode) {
          const program = await requireByCode(context.dataSource, Program, 'programme', programCode);
          query.andWhere('taskGroup.programId = :programId', { programId: program.id });
        }
        return query;
      },
      sort: [{ property: 'programId', direction: SortDirection.ASC }, { property: 'number', direction: SortDirection.ASC }],
    });
  }

  @FieldResolver(() => Program)
  async program(@Root() group: TaskGroup, @Ctx() context: HubContext): Promise<Program> {
    return context.loaders.related(Program, group.programId);
  }

  @FieldResolver(() => Department)
  async leadDepartment(@Root() group: TaskGroup, @Ctx() context: HubContext): Promise<Department> {
    return context.loaders.related(Department, group.leadDepartmentId);
  }

  @FieldResolver(() => TaskConnection, { complexity: connectionCost, description: 'Tasks of this group (default by code).' })
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

  @FieldResolver(() => [PilotModel], { complexity: listCost, description: 'Pilot models filed under this group, by code.' })
  pilotModels(@Root() group: TaskGroup, @Ctx() context: HubContext): Promise<PilotModel[]> {
    return context.loaders.byForeignKey(PilotModel, 'taskGroupId', { code: 'ASC' }).load(group.id);
  }
}

type Counted = 'model' | 'task';
type CountRow = { what: Counted; programId: number | string; status: ProgressStatus; total: number | string; overdue: number | string | null };
type ProgramCounts = Record<Counted, StatusCounts>;

/**
 * Status and overdue counts per programme of pilot models and of tasks, in one statement (two grouped SELECTs
 * joined by UNION ALL): a dashboard asks for both, and the statement for the other costs almost nothing.
 */
async function statusCounts(context: HubContext, programIds: readonly number[], asOf: string): Promise<ProgramCounts[]> {
  const grouped = (entity: typeof Task | typeof PilotModel, what: Counted) =>
    context.dataSource
      .createQueryBuilder(entity, 'item')
      .innerJoin(TaskGroup, 'taskGroup', 'taskGroup.id = item.taskGroupId')
      .select(`'${what}'`, 'what')
      .addSelect('taskGroup.programId', 'programId')
      .addSelect('item.status', 'status')
      .addSelect('COUNT(*)', 'total')
      .addSelect(`SUM(CASE WHEN ${overdueCondition('item')} THEN 1 ELSE 0 END)`, 'overdue')
      .where('taskGroup.programId IN (:...programIds)', { programIds: [...programIds], overdueAsOf: asOf })
      .groupBy('taskGroup.programId')
      .addGroupBy('item.status')
      .getQueryAndParameters();
  const [modelSql, modelParameters] = grouped(PilotModel, 'model');
  const [taskSql, taskParameters] = grouped(Task, 'task');
  const rows: CountRow[] = await context.dataSource.query(`${modelSql} UNION ALL ${taskSql}`, [...modelParameters, ...taskParameters]);
  const tally = (programId: number, what: Counted): StatusCounts => {
    const counts: StatusCounts = { total: 0, completed: 0, inProgress: 0, notStarted: 0, overdue: 0 };
    for (const row of rows.filter((candidate) => candidate.what === what && Number(candidate.programId) === programId)) {
      const total = Number(row.total);
      counts.total += total;
      counts.overdue += Number(row.overdue ?? 0);
      if (row.status === ProgressStatus.COMPLETED) counts.completed += total;
      else if (row.status === ProgressStatus.IN_PROGRESS) counts.inProgress += total;
      else counts.notStarted += total;
    }
    return counts;
  };
  return programIds.map((programId) => ({ model: tally(programId, 'model'), task: tally(programId, 'task') }));
}

/** The counts of a programme judged on `date`, through the request's loader shared by pilotModelCounts and taskCounts. */
async function programCounts(context: HubContext, programId: number, date: string, what: Counted): Promise<StatusCounts> {
  const counts = await context.loaders.get<number, ProgramCounts>(`statusCounts:${date}`, (ids) => statusCounts(context, ids, date)).load(programId);
  return counts[what];
}

@Resolver(() => Program)
export class ProgramResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => Program, { nullable: true, description: 'A programme by code, e.g. DA06.' })
  program(@Arg('code') code: string, @Ctx() context: HubContext): Promise<Program> {
    return requireByCode(context.dataSource, Program, 'programme', code);
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
      query: async () => context.dataSource.getRepository(Program).createQueryBuilder('program'),
      sort: [{ property: 'code', direction: SortDirection.ASC }],
    });
  }

  @FieldResolver(() => [TaskGroup], { complexity: listCost, description: 'Task groups in plan order.' })
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
    return programCounts(context, program.id, date, 'model');
  }

  @FieldResolver(() => StatusCounts, { description: 'Tasks by status; overdue judged on asOf (default today).' })
  taskCounts(
    @Root() program: Program,
    @Ctx() context: HubContext,
    @Arg('asOf', () => CalendarDateScalar, { nullable: true }) asOf?: string | null,
  ): Promise<StatusCounts> {
    const date = judgementDate(context, asOf);
    return programCounts(context, program.id, date, 'task');
  }
}
