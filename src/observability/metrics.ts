import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { todayIn } from '../common/clock';
import { MetricFrequency } from '../common/enums';
import { metricFreshness } from '../modules/metrics/freshness';
import { registerConnectorMetrics } from './connector-metrics';

const FRESHNESS_VALUE = { ON_TIME: 0, LATE: 1, MISSING: 2 } as const;

/** Every Prometheus series the hub exports, in one registry per process. */
export class HubMetrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'pilothub_http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly graphqlDuration = new Histogram({
    name: 'pilothub_graphql_operation_duration_seconds',
    help: 'GraphQL operation duration by operation name and type.',
    labelNames: ['operation', 'type'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly graphqlErrors = new Counter({
    name: 'pilothub_graphql_errors_total',
    help: 'GraphQL errors sent, by extensions.code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly connectorRuns = new Counter({
    name: 'pilothub_connector_runs_total',
    help: 'Finished connector runs by kind, trigger and status.',
    labelNames: ['kind', 'trigger', 'status'] as const,
    registers: [this.registry],
  });

  readonly connectorRunDuration = new Histogram({
    name: 'pilothub_connector_run_duration_seconds',
    help: 'Connector run duration by kind and status.',
    labelNames: ['kind', 'status'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
    registers: [this.registry],
  });

  readonly ingestedRows = new Counter({
    name: 'pilothub_ingested_rows_total',
    help: 'Rows through the ingestion path by outcome: imported, updated, unchanged, rejected.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'pilothub_rate_limited_requests_total',
    help: 'Requests refused with 429, by the limit they exceeded (minute, burst).',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  readonly auditWriteFailures = new Counter({
    name: 'pilothub_audit_write_failures_total',
    help: 'Audit events that could not be stored (the action itself went ahead).',
    registers: [this.registry],
  });

  /** Subscribers listening to live updates in this process, by subscription field (see countSubscriptions). */
  private subscriptionCounts: () => ReadonlyMap<string, number> = () => new Map();

  readonly subscriptionsOpen = new Gauge({
    name: 'pilothub_graphql_subscriptions_open',
    help: 'GraphQL subscriptions open on this process (WebSocket, graphql-ws) and listening to live updates, by field.',
    labelNames: ['field'] as const,
    registers: [this.registry],
    collect: () => {
      this.subscriptionsOpen.reset();
      for (const [field, count] of this.subscriptionCounts()) this.subscriptionsOpen.set({ field }, count);
    },
  });

  /** Where the open subscriptions are counted (the hub's live updates). */
  countSubscriptions(counts: () => ReadonlyMap<string, number>): void {
    this.subscriptionCounts = counts;
  }

  readonly subscriptionConnections = new Gauge({
    name: 'pilothub_graphql_subscription_connections',
    help: 'WebSocket connections open for GraphQL subscriptions on this process (authenticated ones).',
    registers: [this.registry],
  });

  constructor(dataSource: DataSource, options: { timeZone: string }) {
    collectDefaultMetrics({ register: this.registry, prefix: 'pilothub_' });
    registerConnectorMetrics(this.registry, dataSource);

    new Gauge({
      name: 'pilothub_metric_freshness',
      help: 'Freshness of each metric: 0 on time, 1 late, 2 missing.',
      labelNames: ['metric', 'department'] as const,
      registers: [this.registry],
      async collect() {
        const rows: Array<{ code: string; department: string; frequency: MetricFrequency; reportingLagDays: number | null; latest: string | null }> =
          await dataSource.query(
            `SELECT metric.code AS code, department.code AS department, metric.frequency AS frequency, metric.reportingLagDays AS reportingLagDays,
                    (SELECT observation.period FROM observation WHERE observation.metricId = metric.id ORDER BY observation.periodStart DESC LIMIT 1) AS latest
               FROM metric JOIN department ON department.id = metric.departmentId`,
          );
        const today = todayIn(options.timeZone);
        this.reset();
        for (const row of rows) {
          const status = metricFreshness({ frequency: row.frequency, reportingLagDays: row.reportingLagDays }, row.latest, today).status;
          this.set({ metric: row.code, department: row.department }, FRESHNESS_VALUE[status]);
        }
      },
    });

    new Gauge({
      name: 'pilothub_database_pool_connections',
      help: 'Connections of the MySQL/MariaDB pool by state (the embedded database has one connection).',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const pool = (dataSource.driver as { pool?: { _allConnections?: { length: number }; _freeConnections?: { length: number }; _connectionQueue?: { length: number } } }).pool;
        const all = pool?._allConnections?.length ?? 1;
        const free = pool?._freeConnections?.length ?? 0;
        this.set({ state: 'open' }, all);
        this.set({ state: 'in_use' }, all - free);
        this.set({ state: 'waiting_requests' }, pool?._connectionQueue?.length ?? 0);
      },
    });
  }

  /**
   * Records a finished run (pulled or pushed). `durationSeconds` is the duration measured by the runner; without
   * it the ledger's timestamps are used, which MySQL/MariaDB keep to the whole second only.
   */
  runFinished(
    run: { trigger: string; status: string; startedAt: Date; finishedAt: Date | null; imported: number; updated: number; unchanged: number; rejected: number },
    kind: string,
    durationSeconds?: number,
  ): void {
    this.connectorRuns.inc({ kind, trigger: run.trigger, status: run.status });
    const seconds = durationSeconds ?? ((run.finishedAt ?? new Date()).getTime() - run.startedAt.getTime()) / 1000;
    this.connectorRunDuration.observe({ kind, status: run.status }, seconds);
    for (const outcome of ['imported', 'updated', 'unchanged', 'rejected'] as const) {
      if (run[outcome] > 0) this.ingestedRows.inc({ outcome }, run[outcome]);
    }
  }
}
