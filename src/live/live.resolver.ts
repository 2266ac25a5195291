import { Arg, Authorized, Ctx, Field, ID, Int, ObjectType, Resolver, Root, Subscription } from 'type-graphql';
import type { SubscribeResolverData } from 'type-graphql';
import { todayIn } from '../common/clock';
import { HubError, badInput } from '../common/errors';
import { PeriodScalar } from '../common/scalars';
import { requireByCode } from '../database/by-code';
import { freshRequestState, type HubContext } from '../graphql/context';
import { listCost } from '../graphql/limits';
import { ConnectorRun } from '../modules/connectors/connector-run.entity';
import { parseConnectorId } from '../modules/connectors/connector.service';
import { Department } from '../modules/departments/department.entity';
import { metricFreshness, MetricFreshness } from '../modules/metrics/freshness';
import { Metric } from '../modules/metrics/metric.entity';
import { latestPoints } from '../modules/observations/metric-values';
import { assertDepartmentAccess, canAccessDepartment, OPERATIONAL_READ_ROLES } from '../security/access';
import { liveUpdatesOf, type LiveChange, type LiveUpdates, type ObservationsChange, type RunChange } from './live-updates';

/** Codes one filter argument may list. */
const MAX_FILTER_CODES = 100;

@ObjectType({ description: 'What one commit changed of one metric: which units and periods have a new or changed value.' })
export class MetricObservationsChange {
  @Field({ description: 'Code of the metric.' })
  metric: string;

  @Field({ description: 'Code of the department that reports the metric.' })
  department: string;

  @Field(() => [String], { description: 'Codes of the administrative units with a new or changed value (those the subscription asked for, when it named units).' })
  units: string[];

  @Field(() => [PeriodScalar], { description: 'Periods with a new or changed value, in order.' })
  periods: string[];

  @Field({ description: 'Whether more units or periods changed than are listed (200 of each at most): refetch the metric whole.' })
  truncated: boolean;

  @Field(() => Int, { description: 'Values stored for the first time by this commit.' })
  imported: number;

  @Field(() => Int, { description: 'Stored values this commit changed (the previous value is kept as a revision).' })
  updated: number;
}

@ObjectType('ObservationsChange', { description: 'Observations one commit wrote (a pushed batch, a batch of a pulled run, submitted values): refetch only what moved.' })
export class ObservationsChangeEvent {
  @Field(() => Date, { description: 'When the commit was reported (UTC timestamp).' })
  committedAt: Date;

  @Field(() => [MetricObservationsChange], { complexity: listCost, description: 'The metrics with a new or changed value, within the caller’s departments and the subscription’s filters.' })
  metrics: MetricObservationsChange[];
}

@ObjectType({ description: 'A metric whose freshness moved: new values arrived and its status or latest period changed.' })
export class FreshnessChange {
  @Field(() => Metric, { description: 'The metric.' })
  metric: Metric;

  @Field(() => MetricFreshness, { description: 'Its freshness after the change.' })
  freshness: MetricFreshness;
}

function liveOf(context: HubContext): LiveUpdates {
  const live = liveUpdatesOf(context.dataSource);
  if (!live) throw new HubError('SERVICE_UNAVAILABLE', 'live updates are not available in this process');
  return live;
}

/** The codes of a filter argument, checked; null when the argument is absent (no filter). */
function codesOf(value: unknown, field: string): string[] | null {
  if (value === undefined || value === null) return null;
  const codes = value as string[];
  if (codes.length > MAX_FILTER_CODES) throw badInput(field, `at most ${MAX_FILTER_CODES} codes, got ${codes.length}`);
  return [...new Set(codes)];
}

/** Metrics a filter names, each known and within the caller's departments (FORBIDDEN otherwise, as `observations(filter: { metric })`). */
async function filterMetrics(context: HubContext, value: unknown, field: string): Promise<Set<number> | null> {
  const codes = codesOf(value, field);
  if (!codes) return null;
  const ids = new Set<number>();
  for (const code of codes) {
    const metric = await requireByCode(context.dataSource, Metric, 'metric', code);
    assertDepartmentAccess(context.principal, metric.departmentId, `metric ${metric.code}`);
    ids.add(metric.id);
  }
  return ids;
}

/** The run of each change, read once per process whichever number of subscribers it goes to. */
const runsRead = new WeakMap<RunChange, Promise<ConnectorRun | null>>();
/** The freshness of each metric of a change, computed once per process. */
const freshnessRead = new WeakMap<ObservationsChange, Map<number, Promise<FreshnessChange | null>>>();

/** The run as it was when it changed: its ledger row, with the fields the change carries (status, counts, end) as they were then. */
function runOf(context: HubContext, change: RunChange): Promise<ConnectorRun | null> {
  let read = runsRead.get(change);
  if (!read) {
    const repository = context.dataSource.getRepository(ConnectorRun);
    read = repository.findOneBy({ id: change.runId }).then((row) => {
      if (!row) return null;
      const { finishedAt, ...fields } = change.run;
      return repository.merge(row, { ...fields, status: fields.status as ConnectorRun['status'], errorClass: fields.errorClass as ConnectorRun['errorClass'], finishedAt: finishedAt ? new Date(finishedAt) : null });
    });
    runsRead.set(change, read);
  }
  return read;
}

function freshnessOf(context: HubContext, change: ObservationsChange, metricId: number): Promise<FreshnessChange | null> {
  let byMetric = freshnessRead.get(change);
  if (!byMetric) {
    byMetric = new Map();
    freshnessRead.set(change, byMetric);
  }
  let read = byMetric.get(metricId);
  if (!read) {
    read = (async () => {
      const metric = await context.dataSource.getRepository(Metric).findOneBy({ id: metricId });
      if (!metric) return null;
      const [latest] = await latestPoints(context.dataSource, [metric]);
      return { metric, freshness: metricFreshness(metric, latest?.period ?? null, todayIn(context.config.timeZone)) };
    })();
    byMetric.set(metricId, read);
  }
  return read;
}

@Resolver()
export class LiveResolver {
  @Authorized(...OPERATIONAL_READ_ROLES)
  @Subscription(() => ConnectorRun, {
    description:
      'The runs of a connector as they go: an event when a run starts, after each batch it commits (counts so far) and when it ends. ' +
      'A connector outside the caller’s departments is NOT_FOUND, as the `connector` query answers.',
    subscribe: async ({ args, context }: SubscribeResolverData<unknown, { connectorId: string }, HubContext>) => {
      if (!context.connectors) throw new HubError('SERVICE_UNAVAILABLE', 'connectors are not available in this process');
      const connector = await context.connectors.service.requireConnector(parseConnectorId(args.connectorId, 'connectorId'), context.principal);
      return liveOf(context).subscribe('connectorRunUpdated', async (change: LiveChange) => {
        if (change.kind !== 'run' || change.connectorId !== connector.id || !canAccessDepartment(context.principal, change.departmentId)) return null;
        return runOf(context, change);
      });
    },
  })
  connectorRunUpdated(
    @Root() run: ConnectorRun,
    @Arg('connectorId', () => ID, { description: 'Global id of the connector, or its databaseId.' }) _connectorId: string,
    @Ctx() context: HubContext,
  ): ConnectorRun {
    freshRequestState(context);
    return run;
  }

  @Subscription(() => ObservationsChangeEvent, {
    description:
      'Observations committed from now on, one event per commit (a push, a batch of a pulled run, submitted values): which metrics, units and periods ' +
      'have new or changed values, so a dashboard refetches only those. Only metrics of the caller’s departments are reported.',
    subscribe: async ({ args, context }: SubscribeResolverData<unknown, { metrics?: string[] | null; units?: string[] | null }, HubContext>) => {
      const metrics = await filterMetrics(context, args.metrics, 'metrics');
      const units = codesOf(args.units, 'units');
      const unitFilter = units ? new Set(units) : null;
      return liveOf(context).subscribe('observationsChanged', (change: LiveChange): ObservationsChangeEvent | null => {
        if (change.kind !== 'observations') return null;
        const reported: MetricObservationsChange[] = [];
        for (const entry of change.metrics) {
          if (!canAccessDepartment(context.principal, entry.departmentId) || (metrics && !metrics.has(entry.metricId))) continue;
          const entryUnits = unitFilter ? entry.units.filter((unit) => unitFilter.has(unit)) : entry.units;
          // A truncated list may leave out a unit asked for: reported, so the client refetches.
          if (entryUnits.length === 0 && !entry.truncated) continue;
          reported.push({ metric: entry.metric, department: entry.department, units: entryUnits, periods: entry.periods, truncated: entry.truncated, imported: entry.imported, updated: entry.updated });
        }
        return reported.length > 0 ? { committedAt: new Date(change.committedAt), metrics: reported } : null;
      });
    },
  })
  observationsChanged(
    @Root() event: ObservationsChangeEvent,
    @Ctx() context: HubContext,
    @Arg('metrics', () => [String], { nullable: true, description: 'Only these metrics (codes); null: every metric the caller may read.' }) _metrics?: string[],
    @Arg('units', () => [String], { nullable: true, description: 'Only changes to these administrative units (codes); null: every unit.' }) _units?: string[],
  ): ObservationsChangeEvent {
    freshRequestState(context);
    return event;
  }

  @Subscription(() => [FreshnessChange], {
    complexity: listCost,
    description:
      'Metrics whose freshness moved (status, latest period) because new values arrived, one event per commit. Only metrics of the caller’s departments are reported.',
    subscribe: async ({ args, context }: SubscribeResolverData<unknown, { metrics?: string[] | null; departments?: string[] | null }, HubContext>) => {
      const metrics = await filterMetrics(context, args.metrics, 'metrics');
      const departmentCodes = codesOf(args.departments, 'departments');
      const departments = departmentCodes ? new Set<number>() : null;
      for (const code of departmentCodes ?? []) departments!.add((await requireByCode(context.dataSource, Department, 'department', code)).id);
      /** What this subscription last reported of each metric: an event only when it moves. */
      const reported = new Map<number, string>();
      return liveOf(context).subscribe('freshnessChanged', async (change: LiveChange): Promise<FreshnessChange[] | null> => {
        if (change.kind !== 'observations') return null;
        const moved: FreshnessChange[] = [];
        for (const entry of change.metrics) {
          if (entry.imported === 0 || !canAccessDepartment(context.principal, entry.departmentId)) continue;
          if ((metrics && !metrics.has(entry.metricId)) || (departments && !departments.has(entry.departmentId))) continue;
          const now = await freshnessOf(context, change, entry.metricId);
          if (!now) continue;
          const signature = `${now.freshness.status}|${now.freshness.latestPeriod}|${now.freshness.expectedPeriod}`;
          if (reported.get(entry.metricId) === signature) continue;
          reported.set(entry.metricId, signature);
          moved.push(now);
        }
        return moved.length > 0 ? moved : null;
      });
    },
  })
  freshnessChanged(
    @Root() changes: FreshnessChange[],
    @Ctx() context: HubContext,
    @Arg('metrics', () => [String], { nullable: true, description: 'Only these metrics (codes); null: every metric the caller may read.' }) _metrics?: string[],
    @Arg('departments', () => [String], { nullable: true, description: 'Only metrics of these departments (codes); null: every department the caller may read.' }) _departments?: string[],
  ): FreshnessChange[] {
    freshRequestState(context);
    return changes;
  }
}
