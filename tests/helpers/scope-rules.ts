/**
 * The department-scope rule of every field of the schema, keyed by `Type.field`: what a caller of each role (and,
 * for DEPARTMENT_IT, of which departments) may read or do through it. tests/integration/department-scope.test.ts
 * walks the schema, fails on any field missing here, and checks every rule against the running hub.
 */
import { Role } from '../../src/security/principal';

const ALL = [Role.ADMIN, Role.DEPARTMENT_IT, Role.ANALYST, Role.VIEWER];
/** Operational reads: connectors, runs, run statistics, rejected rows, revisions (src/security/access.ts). */
export const OPERATIONAL = [Role.ADMIN, Role.DEPARTMENT_IT, Role.ANALYST];
const CONNECTOR_WRITERS = [Role.ADMIN, Role.DEPARTMENT_IT];
const ADMIN = [Role.ADMIN];

export type Rule =
  /** Catalogue and plan (programme, tasks, models, departments, units, metric definitions, freshness): every caller. */
  | { kind: 'catalogue' }
  /** Pagination plumbing (connections, edges, page info): visible exactly when the list is. */
  | { kind: 'structure' }
  /** Who the caller is. */
  | { kind: 'self' }
  /** Not owned by a department, allowed to some roles only; FORBIDDEN for the others. */
  | { kind: 'roles'; roles: readonly Role[] }
  /** Values of a department's metrics: every role, a DEPARTMENT_IT caller its departments only; else null with FORBIDDEN at the path. */
  | { kind: 'values' }
  /** Operational data of a department: the operational read roles, a DEPARTMENT_IT caller its departments only; else null with FORBIDDEN. */
  | { kind: 'operational' }
  /** A list of department-owned items: items outside the caller's departments are left out (totals count what is listed). */
  | { kind: 'list'; roles: readonly Role[] }
  /** A department-owned object looked up by id: outside the caller's departments it is NOT_FOUND, exactly as a missing id. */
  | { kind: 'lookup'; roles: readonly Role[] }
  /** A field of a department-owned object: visible exactly when its object is (every such object in an answer is checked). */
  | { kind: 'inherited' }
  /** Text rendered from a report built for the caller: holds only what the caller may see. */
  | { kind: 'rendered' }
  /** What a write returns to the caller it was allowed to. */
  | { kind: 'result' }
  /**
   * A global-id lookup (`node`, `nodes`): each object answers exactly as its own type's reads do (catalogue to
   * everyone, department-owned objects outside the caller's departments as missing, role refusals FORBIDDEN);
   * checked type by type in tests/integration/global-ids.test.ts rather than by the generic probes here; the
   * federation's `_entities` likewise, in tests/integration/federation.test.ts.
   */
  | { kind: 'node' }
  /**
   * A subscription (graphql-ws on /graphql): the roles that may open it, and how department scope applies — `lookup`:
   * a department-owned object outside the caller's departments is NOT_FOUND as its query answers; `list`: only
   * events of the caller's departments are delivered. Checked over a WebSocket in tests/integration/live-updates.test.ts.
   */
  | { kind: 'subscription'; allowed: readonly Role[]; scope: 'lookup' | 'list' }
  /** A mutation: the roles that may make it; `owned`: on a department-owned object (`id`) or for a department (`department`). */
  | { kind: 'write'; roles: readonly Role[]; owned?: 'id' | 'department' };

export const SCOPE_RULES: Record<string, Rule> = {};

function rule(value: Rule, type: string, fields: string): void {
  for (const field of fields.trim().split(/\s+/)) {
    const key = `${type}.${field}`;
    if (SCOPE_RULES[key]) throw new Error(`${key} has two scope rules`);
    SCOPE_RULES[key] = value;
  }
}

const catalogue: Rule = { kind: 'catalogue' };
const structure: Rule = { kind: 'structure' };
const inherited: Rule = { kind: 'inherited' };
const values: Rule = { kind: 'values' };
const operational: Rule = { kind: 'operational' };
const result: Rule = { kind: 'result' };

// Root queries.
rule(catalogue, 'Query', 'administrativeUnit administrativeUnits department departments metric metrics pilotModel pilotModels program programs task tasks taskGroup taskGroups progress progressReport departmentScorecards evaluation');
rule(values, 'Query', 'series aggregate');
rule({ kind: 'list', roles: ALL }, 'Query', 'observations');
rule({ kind: 'list', roles: OPERATIONAL }, 'Query', 'connectors');
rule({ kind: 'lookup', roles: OPERATIONAL }, 'Query', 'connector connectorRun');
rule({ kind: 'roles', roles: OPERATIONAL }, 'Query', 'connectorKinds');
rule({ kind: 'roles', roles: ADMIN }, 'Query', 'auditEvents apiKeys outboundHosts');
rule({ kind: 'self' }, 'Query', 'viewer');
rule({ kind: 'node' }, 'Query', 'node nodes _entities');
// The federation subgraph's SDL: the schema's shape, the same for every caller.
rule(catalogue, 'Query', '_service');
rule(catalogue, '_Service', 'sdl');

// Catalogue and plan.
rule(catalogue, 'Program', 'id code name nameVi decision planYear planYears taskGroups pilotModelCounts taskCounts');
rule(catalogue, 'TaskGroup', 'id code number name nameVi planYear basis program leadDepartment tasks pilotModels');
rule(catalogue, 'Task', 'id code responsiblePerson deadline status completedAt basis isDemo title titleVi product targetValue targetUnit progressNote retiredOn planYear carriedOverFrom leadDepartment taskGroup overdue daysLate history statusHistory');
rule(catalogue, 'PilotModel', 'id code responsiblePerson deadline status completedAt basis isDemo number name nameVi statusIsDemo progressNote retiredOn leadDepartment taskGroup overdue daysLate history statusHistory supportingDepartments metrics freshness planYear');
rule(catalogue, 'Department', 'id code name nameVi validFrom validTo basis successor successors predecessors pilotModels freshness scorecard');
rule(catalogue, 'AdministrativeUnit', 'id code name type level validFrom validTo parent children predecessors successors');
rule(catalogue, 'UnitPredecessorLink', 'unit share');
rule(catalogue, 'Metric', 'id code name nameVi unit kind frequency target targetDate minValue maxValue reportingLagDays description retiredOn history basis isDemo freshness pilotModel department levels');
rule(values, 'Metric', 'latest progress observations');
rule(catalogue, 'MetricFreshness', 'status latestPeriod expectedPeriod nextDueDate reportingLagDays');
rule(catalogue, 'FreshnessSummary', 'status onTime late missing');
rule(catalogue, 'StatusCounts', 'total completed inProgress notStarted overdue');
rule(catalogue, 'DeadlineScore', 'total doneOnTime doneLate doneUndated openOverdue openNotYetDue');
rule(catalogue, 'ChangeRecord', 'field fromValue toValue changedAt author changes note');

// Progress, scorecards, reports.
rule(catalogue, 'ProgramProgress', 'program asOf tasks pilotModels taskGroups overdue');
rule(catalogue, 'ProgressReport', 'program asOf tasks pilotModels taskGroups overdue period tasksDueInPeriod pilotModelsDueInPeriod departments statusChanges csvUrl markdownUrl');
rule({ kind: 'list', roles: ALL }, 'ProgramProgress', 'metricsNeedingAttention');
rule({ kind: 'list', roles: ALL }, 'ProgressReport', 'metricsNeedingAttention');
rule({ kind: 'rendered' }, 'ProgressReport', 'markdown');
rule(catalogue, 'TaskGroupProgress', 'taskGroup leadDepartment tasks pilotModels');
rule(catalogue, 'OverdueItem', 'kind code name nameVi status taskGroup leadDepartment responsiblePerson deadline daysLate');
rule(catalogue, 'StatusChangeEntry', 'kind code name nameVi leadDepartment fromStatus toStatus changedAt changedOn author note');
rule(catalogue, 'DepartmentScorecard', 'department asOf from to tasks pilotModels freshness');
rule(operational, 'DepartmentScorecard', 'connectors dataQuality');
rule(inherited, 'DataQuality', 'runs failedRuns fetched rejected rejectionRate');
// Year-end evaluation: scores and ranks are the published result; the run figures are operational.
rule(catalogue, 'Evaluation', 'year program asOf weights rows csvUrl markdownUrl xlsxUrl');
rule(catalogue, 'EvaluationWeightsUsed', 'tasks models freshness quality lateCredit');
rule(catalogue, 'EvaluationRow', 'department rank score tasks pilotModels freshness dataQuality');
rule(catalogue, 'EvaluationTasks', 'due onTime late undated notDone notYetDue score');
rule(catalogue, 'EvaluationModels', 'total completed notCompleted score');
rule(catalogue, 'EvaluationFreshness', 'reportsExpected reportsOnTime lateReports missingReports metrics onTime late missing score');
rule(catalogue, 'EvaluationQuality', 'score');
rule(operational, 'EvaluationQuality', 'runs');
rule(inherited, 'EvaluationRuns', 'runs failedRuns fetched rejected rejectionRate failed');
rule(inherited, 'EvaluationFailedRun', 'runId connector status errorClass');
rule(inherited, 'MetricStanding', 'metric pilotModel pilotModelStatus department latestPeriod latestValue target targetDate actual ratio behindTarget stale freshness');

// Values.
rule(inherited, 'MetricPoint', 'period periodStart periodEnd value numerator denominator level reportingUnits');
rule(inherited, 'MetricProgress', 'target targetDate actual ratio achieved');
rule(inherited, 'Observation', 'id period periodStart periodEnd value numerator denominator recordedAt source runId mappingVersion isDemo unit metric');
rule(operational, 'Observation', 'revisions');
rule(inherited, 'ObservationRevision', 'id value numerator denominator recordedAt source runId mappingVersion revisedAt revisedBy revisedByRunId');
rule(inherited, 'Series', 'points unit metric metrics');
rule(inherited, 'SeriesPoint', 'value numerator denominator expected reported complete approximate level period periodStart periodEnd levelChanged previousLevel sources sourceChanged previousSources');
rule(inherited, 'AggregateResult', 'rows totalRows');
rule(inherited, 'AggregateRow', 'period periodStart periodEnd unit measures approximate department pilotModel taskGroup');
rule(inherited, 'AggregateMeasure', 'value numerator denominator expected reported complete approximate level metric');

// Connectors and runs.
rule(inherited, 'Connector', 'id databaseId name kind schedule timeZone enabled lookbackDays maxWindowDays mappingVersion version createdAt updatedAt department');
rule(operational, 'Connector', 'config mapping mappingVersions secretNames health runs skippedFires');
rule(inherited, 'ConnectorMappingVersion', 'version mapping createdAt createdBy');
rule(inherited, 'SkippedFire', 'id databaseId reason slot firstSlot missed runId recordedAt');
rule(inherited, 'ConnectorHealth', 'status lastError consecutiveFailures lastRunAt lastSuccessAt nextRunAt');
rule(inherited, 'ConnectorRun', 'id databaseId trigger status attempts batches scheduledFor startedAt finishedAt windowFrom windowTo errorClass errorMessage mappingVersion requestId startedBy connector summary durationMs rerunOf');
rule(operational, 'ConnectorRun', 'rejections');
rule(inherited, 'ImportSummary', 'fetched imported updated unchanged rejected');
rule(inherited, 'RunRejection', 'rowIndex reason message');
rule(operational, 'RunRejection', 'raw');
rule(inherited, 'ConnectorKindInfo', 'kind description secretNames pulled configSchema');

// Administration (reached through administrator-only roots, or the caller's own key).
rule(inherited, 'AuditEvent', 'id databaseId at actorSubject actorName actorRole action targetType targetId outcome errorCode requestId clientIp details');
rule(inherited, 'OutboundHost', 'id databaseId pattern allowPrivate note createdBy createdAt');
rule({ kind: 'roles', roles: ADMIN }, 'OutboundHost', 'departments');
rule(inherited, 'ApiKey', 'id databaseId name role prefix createdAt createdBy lastUsedAt revokedAt expiresAt departments active');
rule({ kind: 'self' }, 'Viewer', 'subject name role authenticatedBy departments apiKey');

// Subscriptions, and what their events carry.
rule({ kind: 'subscription', allowed: OPERATIONAL, scope: 'lookup' }, 'Subscription', 'connectorRunUpdated');
rule({ kind: 'subscription', allowed: ALL, scope: 'list' }, 'Subscription', 'observationsChanged freshnessChanged');
rule(inherited, 'ObservationsChange', 'committedAt metrics');
rule(inherited, 'MetricObservationsChange', 'metric department units periods truncated imported updated');
rule(inherited, 'FreshnessChange', 'metric freshness');

// Pagination of every list.
for (const node of ['AuditEvent', 'PilotModel', 'Task', 'TaskGroup', 'Program', 'Department', 'Connector', 'ConnectorRun', 'Metric', 'AdministrativeUnit', 'Observation', 'ApiKey', 'RunRejection', 'SkippedFire']) {
  rule(structure, `${node}Connection`, 'edges pageInfo totalCount');
  rule(structure, `${node}Edge`, 'cursor node');
}
rule(structure, 'PageInfo', 'hasNextPage hasPreviousPage startCursor endCursor');

// Writes, and what they return.
rule({ kind: 'write', roles: CONNECTOR_WRITERS, owned: 'department' }, 'Mutation', 'updatePilotModelStatus updatePilotModel updateTaskStatus updateTask');
rule(
  { kind: 'write', roles: ADMIN },
  'Mutation',
  'createProgram createPlan createTaskGroup createTask retireTask createPilotModel retirePilotModel createMetric updateMetric retireMetric importCatalogue',
);
rule({ kind: 'write', roles: ADMIN }, 'Mutation', 'createDepartment mergeDepartments splitDepartment');
rule({ kind: 'write', roles: ADMIN }, 'Mutation', 'setMetricTarget addOutboundHost setOutboundHostDepartments removeOutboundHost createApiKey revokeApiKey');
rule({ kind: 'write', roles: CONNECTOR_WRITERS, owned: 'department' }, 'Mutation', 'registerConnector validateConnector previewConnector');
rule({ kind: 'write', roles: CONNECTOR_WRITERS, owned: 'id' }, 'Mutation', 'updateConnector setConnectorEnabled deleteConnector testConnector runConnector submitObservations');
rule(result, 'PushResult', 'run summary rejections');
rule(result, 'ValidatedDefinition', 'name kind department schedule timeZone lookbackDays maxWindowDays config mapping');
rule(result, 'PlanYear', 'program planYear taskGroups carriedOver');
rule(result, 'Reorganization', 'reorganization predecessors successors moved apiKeysToReview');
rule(result, 'DepartmentReorganization', 'kind effectiveOn note author recordedAt');
rule(result, 'MovedItems', 'taskGroups tasks pilotModels supportedPilotModels metrics connectors');
rule(result, 'CatalogueImportResult', 'applied summary problems changes');
rule(result, 'CatalogueImportSummary', 'create update unchanged retire');
rule(result, 'CatalogueImportProblem', 'sheet row column message');
rule(result, 'CatalogueImportChange', 'sheet row code action fields');
rule(result, 'ConnectorTestResult', 'ok message warnings streams');
rule(result, 'ConnectorPreview', 'ok message samples rows rejections');
rule(result, 'DiscoveredStream', 'name fields sample');
rule(result, 'CreatedApiKey', 'key apiKey');

/** Roles a rule admits (undefined: every role). */
export function rolesOf(value: Rule): readonly Role[] | undefined {
  if (value.kind === 'operational') return OPERATIONAL;
  return 'roles' in value ? value.roles : undefined;
}

/**
 * Objects owned by a department, and how an answer names the owner: every such object in any answer must belong
 * to a department the caller may see (with `operational`: and the caller must hold an operational read role).
 */
export const OWNED_TYPES: Record<string, { owner: string; operational: boolean }> = {
  Metric: { owner: 'department { code }', operational: false },
  Observation: { owner: 'metric { department { code } }', operational: false },
  MetricStanding: { owner: 'department { code }', operational: false },
  AggregateMeasure: { owner: 'metric { department { code } }', operational: false },
  Series: { owner: 'metrics { department { code } }', operational: false },
  DepartmentScorecard: { owner: 'department { code }', operational: false },
  EvaluationRow: { owner: 'department { code }', operational: false },
  Connector: { owner: 'department { code }', operational: true },
  ConnectorRun: { owner: 'connector { department { code } }', operational: true },
};

/** Types whose every object is owned by a department (Metric, Department and scorecards are catalogue: only some of their fields are). */
export const DEPARTMENTAL_TYPES = new Set(['Observation', 'MetricStanding', 'AggregateMeasure', 'Series', 'Connector', 'ConnectorRun']);
