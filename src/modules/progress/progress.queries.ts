import { badInput } from '../../common/errors';
import type { Period } from '../../common/period';
import type { RequestScope } from '../../common/request-scope';
import { requireProgram } from '../catalogue/catalogue.service';
import type { Department } from '../departments/department.entity';
import { buildProgressReport, DEFAULT_PROGRAM, reportPeriod } from './progress-report';
import { judgement, type Judgement, type ProgressSnapshot } from './progress.service';
import type { DepartmentScorecard, ProgramProgress, ProgressReport } from './progress.types';

/** A window of the progress figures: statuses on asOf (default today), deadlines and runs in from…to (default asOf's year). */
export interface WindowArguments {
  asOf?: string | null;
  from?: string | null;
  to?: string | null;
}

function windowOf(scope: RequestScope, { asOf, from, to }: WindowArguments): Judgement {
  return judgement(asOf ?? scope.today, from, to);
}

/** One snapshot per window per request, shared by every figure that asks for it. */
export function snapshotFor(scope: RequestScope, window: Judgement): Promise<ProgressSnapshot> {
  return scope.loaders.progressSnapshots.load({ window, timeZone: scope.timeZone });
}

/** A programme's progress on asOf (default today), as the caller may see it. */
export async function programProgress(scope: RequestScope, programCode: string, asOf?: string | null, planYear?: number | null): Promise<ProgramProgress> {
  const program = await requireProgram(scope.dataSource, programCode);
  return (await snapshotFor(scope, windowOf(scope, { asOf }))).programProgress(program, scope.principal, planYear);
}

/** Scorecards of every department in force during the window (or of the departments `codes` names), by code. */
export async function departmentScorecards(scope: RequestScope, window: WindowArguments, codes?: readonly string[] | null): Promise<DepartmentScorecard[]> {
  const data = await snapshotFor(scope, windowOf(scope, window));
  let departments = data.departmentsInWindow();
  if (codes) {
    const unknown = codes.filter((code) => !data.department(code));
    if (unknown.length > 0) throw badInput('departments', `unknown department ${unknown.join(', ')}`);
    departments = codes.map((code) => data.department(code)!);
  }
  return departments.map((department) => data.scorecard(department, scope.principal));
}

/** One department's scorecard for the window. */
export async function departmentScorecard(scope: RequestScope, department: Department, window: WindowArguments): Promise<DepartmentScorecard> {
  return (await snapshotFor(scope, windowOf(scope, window))).scorecard(department, scope.principal);
}

/** The periodic report of a programme for a month, quarter or year, as the caller may see it. */
export function progressReport(
  scope: RequestScope,
  period: Period,
  asOf?: string | null,
  program: string = DEFAULT_PROGRAM,
  planYear?: number | null,
): Promise<ProgressReport> {
  return buildProgressReport(
    scope.dataSource,
    scope.timeZone,
    { program, period: reportPeriod(period), asOf, planYear, principal: scope.principal },
    (judged) => snapshotFor(scope, judged),
  );
}
