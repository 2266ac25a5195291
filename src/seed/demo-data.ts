/**
 * The demo data the seed can load (`seed --demo`, demo mode), found again and removed: the demo observations
 * (observation.isDemo) and the demo plan progress (the statuses of 2 April 2024 the seed gave the tasks and pilot
 * models, recognised by their initial status record). Connector and pushed data (isDemo false, including a demo
 * value a connector has since replaced) and any status reported through the API are never touched.
 */
import { In, type DataSource, type EntityManager, type EntityTarget } from 'typeorm';
import { ProgressStatus } from '../common/enums';
import { ChangedField, type ChangeRecord } from '../modules/catalogue/change-record';
import { PilotModel, PilotModelChange } from '../modules/catalogue/pilot-model.entity';
import { Task, TaskChange } from '../modules/catalogue/task.entity';
import { Metric } from '../modules/metrics/metric.entity';
import { Observation } from '../modules/observations/observation.entity';
import { ObservationRevision } from '../modules/observations/observation-revision.entity';
import { rebuildRollups } from '../modules/observations/rollups';
import { DEMO_STATUS_NOTE, REFERENCE_STATUS_NOTE, SEED_AUTHOR } from './seed';

export interface DemoInventory {
  /** Demo observations per metric code, largest first. */
  observationsByMetric: Array<{ metric: string; count: number }>;
  observations: number;
  /** Tasks and pilot models whose status is still the seed's demo status (no status reported since). */
  tasks: number;
  pilotModels: number;
}

interface DemoPlanItems {
  itemIds: number[];
  recordIds: number[];
}

/**
 * The items of one table whose status history is exactly the demo seed's initial record: their status is demo
 * data. An item whose status someone changed since (another STATUS record) keeps it.
 */
async function demoPlanItems(manager: EntityManager, changes: EntityTarget<ChangeRecord>): Promise<DemoPlanItems> {
  const records = await manager.getRepository(changes).find({
    select: { id: true, subjectId: true, author: true, note: true },
    where: { field: ChangedField.STATUS },
  });
  const bySubject = new Map<number, ChangeRecord[]>();
  for (const record of records) bySubject.set(record.subjectId, [...(bySubject.get(record.subjectId) ?? []), record]);
  const found: DemoPlanItems = { itemIds: [], recordIds: [] };
  for (const [subjectId, history] of bySubject) {
    const [only] = history;
    if (history.length === 1 && only.author === SEED_AUTHOR && only.note === DEMO_STATUS_NOTE) {
      found.itemIds.push(subjectId);
      found.recordIds.push(only.id);
    }
  }
  return found;
}

async function inventory(manager: EntityManager): Promise<DemoInventory & { tasksFound: DemoPlanItems; modelsFound: DemoPlanItems; metricIds: number[] }> {
  const rows: Array<{ metricId: number | string; code: string; count: number | string }> = await manager
    .getRepository(Observation)
    .createQueryBuilder('o')
    .innerJoin(Metric, 'm', 'm.id = o.metricId')
    .select('o.metricId', 'metricId')
    .addSelect('m.code', 'code')
    .addSelect('COUNT(*)', 'count')
    .where('o.isDemo = :demo', { demo: true })
    .groupBy('o.metricId')
    .addGroupBy('m.code')
    .getRawMany();
  const observationsByMetric = rows
    .map((row) => ({ metric: row.code, count: Number(row.count) }))
    .sort((a, b) => b.count - a.count || a.metric.localeCompare(b.metric));
  const tasksFound = await demoPlanItems(manager, TaskChange);
  const modelsFound = await demoPlanItems(manager, PilotModelChange);
  return {
    observationsByMetric,
    observations: observationsByMetric.reduce((sum, row) => sum + row.count, 0),
    tasks: tasksFound.itemIds.length,
    pilotModels: modelsFound.itemIds.length,
    tasksFound,
    modelsFound,
    metricIds: rows.map((row) => Number(row.metricId)),
  };
}

/** What demo data the database holds (nothing is changed). */
export async function listDemoData(dataSource: DataSource): Promise<DemoInventory> {
  const { observationsByMetric, observations, tasks, pilotModels } = await inventory(dataSource.manager);
  return { observationsByMetric, observations, tasks, pilotModels };
}

/**
 * Removes the demo data in one transaction (all or nothing): deletes the demo observations (and any revisions of
 * them), re-derives the month rollups of their metrics from what remains, and sets the tasks and pilot models that
 * still have their demo status back to NOT_STARTED, as the reference seed loads them (their initial status record
 * says so). statusIsDemo is cleared on every model: a status reported since the seed is not demo data. Returns what was removed; a second run finds nothing.
 */
export async function purgeDemoData(dataSource: DataSource): Promise<DemoInventory> {
  return dataSource.transaction(async (manager) => {
    const found = await inventory(manager);
    if (found.observations > 0) {
      const demoIds = manager.getRepository(Observation).createQueryBuilder('d').select('d.id').where('d.isDemo = :demo');
      await manager
        .createQueryBuilder()
        .delete()
        .from(ObservationRevision)
        .where(`observationId IN (${demoIds.getQuery()})`)
        .setParameter('demo', true)
        .execute();
      await manager.getRepository(Observation).delete({ isDemo: true });
      await rebuildRollups(manager, found.metricIds);
    }
    const now = new Date();
    const reset = { status: ProgressStatus.NOT_STARTED, completedAt: null };
    const resetRecords = async (changes: EntityTarget<ChangeRecord>, recordIds: number[]) => {
      if (recordIds.length === 0) return;
      await manager.getRepository(changes).update({ id: In(recordIds) }, { toValue: ProgressStatus.NOT_STARTED, note: REFERENCE_STATUS_NOTE, changedAt: now });
    };
    if (found.tasksFound.itemIds.length > 0) await manager.getRepository(Task).update({ id: In(found.tasksFound.itemIds) }, reset);
    await resetRecords(TaskChange, found.tasksFound.recordIds);
    if (found.modelsFound.itemIds.length > 0) await manager.getRepository(PilotModel).update({ id: In(found.modelsFound.itemIds) }, reset);
    await resetRecords(PilotModelChange, found.modelsFound.recordIds);
    // A model whose status was reported since keeps it, and that status is not demo data either.
    await manager.getRepository(PilotModel).update({ statusIsDemo: true }, { statusIsDemo: false });
    const { observationsByMetric, observations, tasks, pilotModels } = found;
    return { observationsByMetric, observations, tasks, pilotModels };
  });
}

/** One paragraph for the admin command: totals, then the metrics. */
export function describeDemoData(found: DemoInventory): string {
  const metrics = found.observationsByMetric.map((row) => `${row.metric} ${row.count}`).join(', ');
  return (
    `${found.observations} demo observation(s) of ${found.observationsByMetric.length} metric(s)` +
    `${metrics ? ` (${metrics})` : ''}; demo status of ${found.tasks} task(s) and ${found.pilotModels} pilot model(s)`
  );
}
