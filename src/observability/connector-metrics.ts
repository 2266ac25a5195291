import { Gauge, type Registry } from 'prom-client';
import { IsNull, type DataSource } from 'typeorm';
import { ConnectorRun, SkippedFire } from '../modules/connectors/connector-run.entity';
import { connectorHealth } from '../modules/connectors/connector-health';
import { Connector, RunStatus } from '../modules/connectors/connector.entity';
import { ConnectorHealthStatus } from '../modules/connectors/connector.types';
import { Department } from '../modules/departments/department.entity';

/** Labels naming a connector: bounded by the number of connectors (never a run id). */
type ConnectorLabels = { connector_id: string; connector: string; department: string; kind: string };

interface Snapshot {
  connectors: Array<{ labels: ConnectorLabels; health: ConnectorHealthStatus; lastSuccessAt: Date | null; consecutiveFailures: number }>;
  runs: Array<{ connectorId: number; status: string; count: number }>;
  skipped: Array<{ connectorId: number; reason: string; count: number }>;
}

/** Reads what the per-connector series show, from the database: every instance exports the same values. */
async function readSnapshot(dataSource: DataSource): Promise<Snapshot> {
  const connectors = await dataSource.getRepository(Connector).find({
    where: { deletedAt: IsNull() },
    select: { id: true, name: true, kind: true, enabled: true, departmentId: true },
  });
  if (connectors.length === 0) return { connectors: [], runs: [], skipped: [] };
  const departments = new Map((await dataSource.getRepository(Department).find({ select: { id: true, code: true } })).map((row) => [row.id, row.code]));
  const health = await connectorHealth(dataSource, connectors);
  const runs = await dataSource
    .getRepository(ConnectorRun)
    .createQueryBuilder('run')
    .select('run.connectorId', 'connectorId')
    .addSelect('run.status', 'status')
    .addSelect('COUNT(*)', 'count')
    .groupBy('run.connectorId')
    .addGroupBy('run.status')
    .getRawMany<{ connectorId: number | string; status: string; count: number | string }>();
  const skipped = await dataSource
    .getRepository(SkippedFire)
    .createQueryBuilder('fire')
    .select('fire.connectorId', 'connectorId')
    .addSelect('fire.reason', 'reason')
    .addSelect('SUM(fire.missed)', 'count')
    .groupBy('fire.connectorId')
    .addGroupBy('fire.reason')
    .getRawMany<{ connectorId: number | string; reason: string; count: number | string }>();
  return {
    connectors: connectors.map((connector, index) => ({
      labels: { connector_id: String(connector.id), connector: connector.name, department: departments.get(connector.departmentId) ?? '', kind: connector.kind },
      health: health[index].status,
      lastSuccessAt: health[index].lastSuccessAt,
      consecutiveFailures: health[index].consecutiveFailures,
    })),
    runs: runs.map((row) => ({ connectorId: Number(row.connectorId), status: row.status, count: Number(row.count) })),
    skipped: skipped.map((row) => ({ connectorId: Number(row.connectorId), reason: row.reason, count: Number(row.count) })),
  };
}

/**
 * Per-connector series, read from the database at scrape time (one snapshot serves the gauges of one scrape):
 * health as a state set, last success time, consecutive failures, runs in the ledger by status and skipped fires
 * by reason. Labels: connector_id, connector (its name), department, kind (and status or reason).
 */
export function registerConnectorMetrics(registry: Registry, dataSource: DataSource): void {
  let pending: { at: number; snapshot: Promise<Snapshot> } | null = null;
  // The gauges of one scrape are collected one after the other: they share a snapshot younger than a second.
  const snapshot = () => {
    if (!pending || Date.now() - pending.at > 1_000) pending = { at: Date.now(), snapshot: readSnapshot(dataSource) };
    return pending.snapshot;
  };
  const labelsOf = async () => new Map((await snapshot()).connectors.map((connector) => [Number(connector.labels.connector_id), connector.labels]));

  new Gauge({
    name: 'pilothub_connector_health',
    help: 'Health of each connector as a state set: 1 for its current status (HEALTHY, DEGRADED, FAILING, NEW, DISABLED), 0 for the others.',
    labelNames: ['connector_id', 'connector', 'department', 'kind', 'status'] as const,
    registers: [registry],
    async collect() {
      const { connectors } = await snapshot();
      this.reset();
      for (const connector of connectors) {
        for (const status of Object.values(ConnectorHealthStatus)) this.set({ ...connector.labels, status }, connector.health === status ? 1 : 0);
      }
    },
  });

  new Gauge({
    name: 'pilothub_connector_last_success_timestamp_seconds',
    help: 'When the last successful (SUCCEEDED or PARTIAL) run of each connector finished, in Unix seconds; absent before the first.',
    labelNames: ['connector_id', 'connector', 'department', 'kind'] as const,
    registers: [registry],
    async collect() {
      const { connectors } = await snapshot();
      this.reset();
      for (const connector of connectors) if (connector.lastSuccessAt) this.set(connector.labels, connector.lastSuccessAt.getTime() / 1000);
    },
  });

  new Gauge({
    name: 'pilothub_connector_consecutive_failures',
    help: 'Failed runs of each connector since its last success (runs interrupted by a shutdown do not count).',
    labelNames: ['connector_id', 'connector', 'department', 'kind'] as const,
    registers: [registry],
    async collect() {
      const { connectors } = await snapshot();
      this.reset();
      for (const connector of connectors) this.set(connector.labels, connector.consecutiveFailures);
    },
  });

  new Gauge({
    name: 'pilothub_connector_ledger_runs',
    help: 'Runs of each connector in the ledger by status (all processes; the same on every instance, grows like a counter).',
    labelNames: ['connector_id', 'connector', 'department', 'kind', 'status'] as const,
    registers: [registry],
    async collect() {
      const [{ runs }, labels] = await Promise.all([snapshot(), labelsOf()]);
      this.reset();
      for (const [id, connectorLabels] of labels) {
        for (const status of Object.values(RunStatus)) {
          this.set({ ...connectorLabels, status }, runs.find((row) => row.connectorId === id && row.status === status)?.count ?? 0);
        }
      }
    },
  });

  new Gauge({
    name: 'pilothub_connector_skipped_fires',
    help: 'Schedule fires of each connector that started no run of their own, by reason: OVERLAP (still running), DOWNTIME (missed while no process ran).',
    labelNames: ['connector_id', 'connector', 'department', 'kind', 'reason'] as const,
    registers: [registry],
    async collect() {
      const [{ skipped }, labels] = await Promise.all([snapshot(), labelsOf()]);
      this.reset();
      for (const row of skipped) {
        const connectorLabels = labels.get(row.connectorId);
        if (connectorLabels) this.set({ ...connectorLabels, reason: row.reason }, row.count);
      }
    },
  });
}
