import DataLoader from 'dataloader';
import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { foreignKeyQuery, groupByKey, rowsById, type ForeignKeyOrder } from '../database/batched';
import { ObservationRevision } from '../modules/observations/observation-revision.entity';
import { statusCounts, supportingDepartmentsOf, METRIC_ORDER, type ProgramCounts } from '../modules/catalogue/catalogue.service';
import { PilotModel, PilotModelChange } from '../modules/catalogue/pilot-model.entity';
import { Program } from '../modules/catalogue/program.entity';
import { TaskGroup } from '../modules/catalogue/task-group.entity';
import { Task, TaskChange } from '../modules/catalogue/task.entity';
import { connectorHealth } from '../modules/connectors/connector-health';
import { Connector, ConnectorMappingVersion, ConnectorSecret } from '../modules/connectors/connector.entity';
import type { ConnectorHealth } from '../modules/connectors/connector.types';
import { Department } from '../modules/departments/department.entity';
import { successionsOf } from '../modules/departments/department-history';
import { Metric, MetricChange } from '../modules/metrics/metric.entity';
import { cumulativeTotals, latestPoints, type MetricPoint } from '../modules/observations/metric-values';
import { revisionsKnownAt } from '../modules/observations/observation.service';
import { OutboundHostDepartment } from '../modules/outbound/outbound-host.entity';
import { ProgressSnapshot, type Judgement } from '../modules/progress/progress.service';
import { AdministrativeUnit, UnitPredecessor } from '../modules/units/administrative-unit.entity';
import { unitLinks, type UnitLink } from '../modules/units/unit.service';
import { ApiKey } from '../security/api-key.entity';
import { departmentsOfApiKeys } from '../security/api-key.service';

export type EntityClass<T> = { new (): T; name: string };

/** A progress snapshot: the window it is judged on and the hub's time zone. */
export interface SnapshotKey {
  window: Judgement;
  timeZone: string;
}

/**
 * The per-request DataLoaders, all of them, named and typed: every relation a response follows goes through one
 * of these, so it costs one statement per level of the response, not one per row. Built once per request by the
 * context factory; nothing is cached across requests.
 */
export class RequestLoaders {
  // Rows by primary key; a missing row resolves to null.
  readonly departments: DataLoader<number, Department | null>;
  readonly programs: DataLoader<number, Program | null>;
  readonly taskGroups: DataLoader<number, TaskGroup | null>;
  readonly pilotModels: DataLoader<number, PilotModel | null>;
  readonly tasks: DataLoader<number, Task | null>;
  readonly metrics: DataLoader<number, Metric | null>;
  readonly units: DataLoader<number, AdministrativeUnit | null>;
  readonly connectors: DataLoader<number, Connector | null>;
  readonly apiKeys: DataLoader<number, ApiKey | null>;

  // Rows grouped by a foreign key, one list (possibly empty) per parent id.
  /** Task groups of a programme, in plan order. */
  readonly taskGroupsByProgram: DataLoader<number, TaskGroup[]>;
  /** Pilot models filed under a task group, by code. */
  readonly pilotModelsByTaskGroup: DataLoader<number, PilotModel[]>;
  /** Pilot models a department leads, by code. */
  readonly pilotModelsByLeadDepartment: DataLoader<number, PilotModel[]>;
  /** Metrics of a pilot model, by code. */
  readonly metricsByPilotModel: DataLoader<number, Metric[]>;
  /** Metrics a department reports, by code. */
  readonly metricsByDepartment: DataLoader<number, Metric[]>;
  /** Recorded changes of a task, oldest first. */
  readonly taskChanges: DataLoader<number, TaskChange[]>;
  /** Recorded changes of a pilot model, oldest first. */
  readonly pilotModelChanges: DataLoader<number, PilotModelChange[]>;
  /** Recorded changes of a metric, oldest first. */
  readonly metricChanges: DataLoader<number, MetricChange[]>;
  /** Earlier values of an observation, oldest first. */
  readonly observationRevisions: DataLoader<number, ObservationRevision[]>;
  /** Secrets of a connector (names only are shown), by name. */
  readonly connectorSecrets: DataLoader<number, ConnectorSecret[]>;
  /** Connector id → its mapping versions, newest first. */
  readonly connectorMappingVersions: DataLoader<number, ConnectorMappingVersion[]>;
  /** Departments granted an outbound allowlist entry, by department id. */
  readonly outboundHostGrants: DataLoader<number, OutboundHostDepartment[]>;

  // Relations through link tables.
  /** Departments supporting a pilot model, by code. */
  readonly supportingDepartments: DataLoader<number, Department[]>;
  /** Departments that took over a department's work in reorganizations, and those whose work it took over. */
  readonly departmentSuccessors: DataLoader<number, Department[]>;
  readonly departmentPredecessors: DataLoader<number, Department[]>;
  /** Departments a DEPARTMENT_IT key is scoped to, by code. */
  readonly apiKeyDepartments: DataLoader<number, Department[]>;
  /** Units of the previous edition a unit was formed from. */
  readonly unitPredecessors: DataLoader<number, UnitLink[]>;
  /** Units of the next edition a unit went into. */
  readonly unitSuccessors: DataLoader<number, UnitLink[]>;

  // Figures computed from many rows.
  /** A metric's latest point (see metric-values.ts). */
  readonly latestPoints: DataLoader<Metric, MetricPoint | null>;
  /** A COUNT metric's total towards its dated target; null without data or target. */
  readonly cumulativeTotals: DataLoader<Metric, number | null>;
  /** Health of a connector from its run ledger (without nextRunAt, which the schedules know). */
  readonly connectorHealth: DataLoader<Connector, Omit<ConnectorHealth, 'nextRunAt'>>;
  /** One progress snapshot per window, shared by every field that asks for it. */
  readonly progressSnapshots: DataLoader<SnapshotKey, ProgressSnapshot, string>;

  /** Loaders whose result depends on an argument (a date, a page request): one per distinct argument. */
  private readonly byArgument = new Map<string, DataLoader<unknown, unknown>>();
  private readonly byEntity = new Map<EntityClass<{ id: number }>, DataLoader<number, { id: number } | null>>();
  private readonly byKey = new Map<EntityClass<{ id: number }>, DataLoader<readonly string[], { id: number } | null, string>>();

  constructor(private readonly dataSource: DataSource) {
    this.departments = this.byId(Department);
    this.programs = this.byId(Program);
    this.taskGroups = this.byId(TaskGroup);
    this.pilotModels = this.byId(PilotModel);
    this.tasks = this.byId(Task);
    this.metrics = this.byId(Metric);
    this.units = this.byId(AdministrativeUnit);
    this.connectors = this.byId(Connector);
    this.apiKeys = this.byId(ApiKey);

    this.taskGroupsByProgram = this.byForeignKey(TaskGroup, 'programId', { number: 'ASC' });
    this.pilotModelsByTaskGroup = this.byForeignKey(PilotModel, 'taskGroupId', { code: 'ASC' });
    this.pilotModelsByLeadDepartment = this.byForeignKey(PilotModel, 'leadDepartmentId', { code: 'ASC' });
    this.metricsByPilotModel = this.byForeignKey(Metric, 'pilotModelId', METRIC_ORDER);
    this.metricsByDepartment = this.byForeignKey(Metric, 'departmentId', { code: 'ASC' });
    this.taskChanges = this.byForeignKey(TaskChange, 'subjectId', { changedAt: 'ASC', id: 'ASC' });
    this.pilotModelChanges = this.byForeignKey(PilotModelChange, 'subjectId', { changedAt: 'ASC', id: 'ASC' });
    this.metricChanges = this.byForeignKey(MetricChange, 'subjectId', { changedAt: 'ASC', id: 'ASC' });
    this.observationRevisions = this.byForeignKey(ObservationRevision, 'observationId', { revisedAt: 'ASC', id: 'ASC' });
    this.connectorSecrets = this.byForeignKey(ConnectorSecret, 'connectorId', { name: 'ASC' });
    this.connectorMappingVersions = this.byForeignKey(ConnectorMappingVersion, 'connectorId', { version: 'DESC' });
    this.outboundHostGrants = this.byForeignKey(OutboundHostDepartment, 'outboundHostId', { departmentId: 'ASC' });

    this.supportingDepartments = new DataLoader((modelIds) => supportingDepartmentsOf(dataSource, modelIds));
    this.departmentSuccessors = new DataLoader((ids) => successionsOf(dataSource, ids, 'successors'));
    this.departmentPredecessors = new DataLoader((ids) => successionsOf(dataSource, ids, 'predecessors'));
    this.apiKeyDepartments = new DataLoader((keyIds) => departmentsOfApiKeys(dataSource, keyIds));
    const predecessorRows = this.byForeignKey(UnitPredecessor, 'unitId', { predecessorId: 'ASC' });
    const successorRows = this.byForeignKey(UnitPredecessor, 'predecessorId', { unitId: 'ASC' });
    this.unitPredecessors = new DataLoader((ids) => unitLinks(predecessorRows, this.units, ids, 'predecessorId'));
    this.unitSuccessors = new DataLoader((ids) => unitLinks(successorRows, this.units, ids, 'unitId'));

    this.latestPoints = new DataLoader((metrics) => latestPoints(dataSource, metrics));
    this.cumulativeTotals = new DataLoader(async (metrics) => {
      const sums = await cumulativeTotals(dataSource, metrics);
      return metrics.map((metric) => sums.get(metric.id)?.value ?? null);
    });
    this.connectorHealth = new DataLoader((connectors) => connectorHealth(dataSource, connectors));
    this.progressSnapshots = new DataLoader(
      (keys) => Promise.all(keys.map((key) => ProgressSnapshot.load(dataSource, key.window, key.timeZone))),
      { cacheKeyFn: (key) => JSON.stringify([key.window.asOf, key.window.from, key.window.to, key.timeZone]) },
    );
  }

  /** Status and overdue counts per programme (see catalogue.service statusCounts), judged on `asOf`, of a plan year (null: asOf's). */
  statusCounts(asOf: string, planYear: number | null): DataLoader<number, ProgramCounts> {
    return this.forArgument(`statusCounts:${asOf}:${planYear}`, (programIds: readonly number[]) => statusCounts(this.dataSource, programIds, asOf, planYear));
  }

  /** The revision of an observation that was current at `asOf`, or null (see observation.service). */
  revisionsKnownAt(asOf: Date): DataLoader<number, ObservationRevision | null> {
    return this.forArgument(`revisionsKnownAt:${asOf.toISOString()}`, (ids: readonly number[]) => revisionsKnownAt(this.dataSource, ids, asOf));
  }

  /**
   * Pages of a connection nested under many parents, one loader per page request (`signature`: the connection's
   * name, page arguments, filters and selection), so the pages of all parents are read together.
   */
  connectionPages<P>(signature: string, batch: (parentIds: readonly number[]) => Promise<P[]>): DataLoader<number, P> {
    return this.forArgument(`connectionPages:${signature}`, batch);
  }

  /** The by-id loader of an entity (for code that gets the entity class, like connection joins); throws for one without. */
  loaderFor<T extends { id: number }>(target: EntityClass<T>): DataLoader<number, T | null> {
    const loader = this.byEntity.get(target);
    if (!loader) throw new Error(`no per-request loader reads ${target.name} by id`);
    return loader as DataLoader<number, T | null>;
  }

  /** The by-id loader of any entity (created on first use): how `node(id:)` reads the type an id names. */
  entityById<T extends { id: number }>(target: EntityClass<T>): DataLoader<number, T | null> {
    return (this.byEntity.get(target) as DataLoader<number, T | null> | undefined) ?? this.byId(target as EntityClass<T & ObjectLiteral>);
  }

  /**
   * Rows by their federation key (see federation.ts): `code`, then the `also` columns (a unit's validFrom), each
   * key given as those values in that order. One statement for all the keys asked for in a tick, however many;
   * codes compare exactly, as findByCode does (MySQL's collation would also match other letter cases).
   */
  entityByKey<T extends ObjectLiteral & { id: number; code: string }>(target: EntityClass<T>, also: ReadonlyArray<keyof T & string> = []): DataLoader<readonly string[], T | null, string> {
    let loader = this.byKey.get(target);
    if (!loader) {
      const fields: string[] = ['code', ...also];
      const batch = async (keys: ReadonlyArray<readonly string[]>): Promise<Array<T | null>> => {
        const codes = [...new Set(keys.map((key) => key[0]))];
        const rows = await this.dataSource.getRepository(target).createQueryBuilder('row').where('row.code IN (:...codes)', { codes }).getMany();
        return keys.map((key) => rows.find((row) => fields.every((field, index) => String(row[field]) === key[index])) ?? null);
      };
      loader = new DataLoader<readonly string[], T | null, string>(batch, { cacheKeyFn: (key) => JSON.stringify(key) }) as unknown as DataLoader<readonly string[], { id: number } | null, string>;
      this.byKey.set(target as EntityClass<{ id: number }>, loader);
    }
    return loader as unknown as DataLoader<readonly string[], T | null, string>;
  }

  /** The row a foreign key points at; its absence is a broken reference, not a user error. */
  async related<T extends { id: number }>(target: EntityClass<T>, id: number): Promise<T> {
    const row = await this.loaderFor(target).load(id);
    if (!row) throw new Error(`${target.name} ${id} is referenced but missing`);
    return row;
  }

  private forArgument<K, V>(name: string, batch: (keys: readonly K[]) => Promise<Array<V | Error>>): DataLoader<K, V> {
    let loader = this.byArgument.get(name);
    if (!loader) {
      loader = new DataLoader<K, V>(batch) as DataLoader<unknown, unknown>;
      this.byArgument.set(name, loader);
    }
    return loader as DataLoader<K, V>;
  }

  private byId<T extends ObjectLiteral & { id: number }>(target: EntityClass<T>): DataLoader<number, T | null> {
    const loader = new DataLoader<number, T | null>(async (ids) => {
      return rowsById(this.dataSource, target, ids);
    });
    this.byEntity.set(target as EntityClass<{ id: number }>, loader as DataLoader<number, { id: number } | null>);
    return loader;
  }

  private byForeignKey<T extends ObjectLiteral>(target: EntityTarget<T>, foreignKey: keyof T & string, order: ForeignKeyOrder<T>): DataLoader<number, T[]> {
    return new DataLoader<number, T[]>(async (keys) => {
      const rows = await foreignKeyQuery(this.dataSource, target, order).where(`row.${foreignKey} IN (:...keys)`, { keys: [...keys] }).getMany();
      return groupByKey(rows, foreignKey, keys);
    });
  }
}
