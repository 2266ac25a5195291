/**
 * Demo data: the progress of the 2024 plan as reported at the Provincial People's Committee meeting of 2 April 2024.
 * The split of the 38 pilot models (6 completed, 20 in progress, 12 not started) is published, but which model has
 * which status is not, so every model's status is marked `statusIsDemo`; the tasks are demo data altogether. The
 * reference catalogue itself (src/seed/data/catalogue-2024/) holds no status: loaded without demo data, every task
 * and model is NOT_STARTED. Items not listed here are NOT_STARTED.
 */
import { ProgressStatus } from '../common/enums';

/** The date the demo statuses describe (the PPC meeting of 2 April 2024). */
export const SEED_STATE_DATE = '2024-04-02';

const TASKS: Partial<Record<ProgressStatus, string[]>> = {
  COMPLETED: ['T01.05', 'T02.05', 'T03.04', 'T03.05', 'T04.04', 'T05.02', 'T06.03', 'T06.04', 'T06.06', 'T07.02', 'T07.05', 'T08.02', 'T08.05', 'T09.01', 'T10.01', 'T10.05'],
  IN_PROGRESS: [
    'T01.01', 'T01.02', 'T01.03', 'T01.04', 'T02.01', 'T02.02', 'T03.01', 'T03.02', 'T03.03', 'T04.01', 'T04.02', 'T04.03',
    'T05.03', 'T06.01', 'T06.02', 'T06.05', 'T07.01', 'T07.03', 'T07.04', 'T08.01', 'T09.03', 'T10.02', 'T10.03', 'T10.04',
  ],
};

const PILOT_MODELS: Partial<Record<ProgressStatus, string[]>> = {
  COMPLETED: ['M13', 'M19', 'M21', 'M22', 'M31', 'M34'],
  IN_PROGRESS: ['M01', 'M02', 'M03', 'M05', 'M06', 'M08', 'M09', 'M10', 'M11', 'M14', 'M15', 'M16', 'M17', 'M20', 'M27', 'M29', 'M30', 'M32', 'M35', 'M38'],
};

const statusOf = (lists: Partial<Record<ProgressStatus, string[]>>, code: string): ProgressStatus =>
  (Object.entries(lists).find(([, codes]) => codes.includes(code))?.[0] as ProgressStatus | undefined) ?? ProgressStatus.NOT_STARTED;

/** The demo status of a seeded task or pilot model on 2 April 2024. */
export function demoStatus(sheet: 'Tasks' | 'PilotModels', code: string): ProgressStatus {
  return statusOf(sheet === 'Tasks' ? TASKS : PILOT_MODELS, code);
}
