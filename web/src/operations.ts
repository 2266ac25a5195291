/**
 * Every GraphQL operation the console sends, in one place: tests/unit/console-operations.test.ts validates each
 * against schema/schema.graphql, so a schema change that breaks the console fails a test, not a person's page.
 */
export const VIEWER = /* GraphQL */ `
  query ConsoleViewer {
    viewer { name role authenticatedBy departments { code name nameVi } }
  }
`;

export const OVERVIEW = /* GraphQL */ `
  query ConsoleOverview {
    progress {
      asOf
      pilotModels { total completed inProgress notStarted overdue }
      tasks { total completed inProgress notStarted overdue }
      overdue { kind code name nameVi deadline daysLate responsiblePerson leadDepartment { code name nameVi } }
    }
    pilotModels(first: 100) { edges { node { code name nameVi status deadline leadDepartment { code name nameVi } } } }
    departments(first: 100) { edges { node { code name nameVi validTo freshness { onTime late missing status } } } }
  }
`;

export const PILOT_MODEL = /* GraphQL */ `
  query ConsolePilotModel($code: String!) {
    pilotModel(code: $code) {
      code name nameVi status deadline responsiblePerson daysLate overdue
      leadDepartment { code name nameVi }
      taskGroup { code name nameVi }
      statusHistory { changedAt fromValue toValue author note }
      metrics {
        code name nameVi unit frequency target targetDate
        latest { period value }
        progress { actual target ratio achieved }
      }
    }
  }
`;

export const SERIES = /* GraphQL */ `
  query ConsoleSeries($metrics: [String!]!, $from: Period!, $to: Period!, $granularity: MetricFrequency!, $level: UnitLevel) {
    series(metrics: $metrics, from: $from, to: $to, granularity: $granularity, level: $level) {
      metric { code name nameVi unit }
      unit { code name }
      points { period value }
    }
  }
`;

export const AGGREGATE = /* GraphQL */ `
  query ConsoleAggregate($metrics: [String!]!, $from: Period!, $to: Period!, $granularity: MetricFrequency, $level: UnitLevel, $groupBy: [AggregateDimension!]!) {
    aggregate(metrics: $metrics, from: $from, to: $to, granularity: $granularity, level: $level, groupBy: $groupBy) {
      totalRows
      rows {
        period
        unit { code name }
        department { code name nameVi }
        pilotModel { code name nameVi }
        taskGroup { code name nameVi }
        measures { metric { code name nameVi unit } value }
      }
    }
  }
`;

export const METRICS = /* GraphQL */ `
  query ConsoleMetrics($after: String) {
    metrics(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { code name nameVi unit frequency } }
    }
  }
`;

export const SCORECARDS = /* GraphQL */ `
  query ConsoleScorecards {
    departmentScorecards {
      department { code name nameVi }
      pilotModels { total completed inProgress notStarted overdue }
      tasks { total doneOnTime doneLate openOverdue openNotYetDue }
      freshness { onTime late missing status }
      connectors
    }
  }
`;

export const PROGRESS_REPORT = /* GraphQL */ `
  query ConsoleProgressReport($period: Period!, $lang: ReportLanguage!) {
    progressReport(period: $period) {
      period asOf csvUrl(lang: $lang) markdownUrl(lang: $lang)
      pilotModels { total completed inProgress notStarted overdue }
      tasks { total completed inProgress notStarted overdue }
      pilotModelsDueInPeriod { total doneOnTime doneLate openOverdue openNotYetDue }
      tasksDueInPeriod { total doneOnTime doneLate openOverdue openNotYetDue }
      overdue { kind code name nameVi daysLate responsiblePerson leadDepartment { code name nameVi } }
    }
  }
`;

const CONNECTOR_HEALTH = `health { status lastRunAt lastSuccessAt nextRunAt consecutiveFailures lastError }`;

export const CONNECTORS = /* GraphQL */ `
  query ConsoleConnectors {
    connectors(first: 100) {
      totalCount
      edges { node { id name kind enabled schedule department { code name nameVi } ${CONNECTOR_HEALTH} } }
    }
  }
`;

const RUN_FIELDS = `id databaseId status trigger startedAt finishedAt windowFrom windowTo mappingVersion durationMs errorClass errorMessage batches attempts summary { fetched imported updated unchanged rejected }`;

export const CONNECTOR = /* GraphQL */ `
  query ConsoleConnector($id: ID!) {
    connector(id: $id) {
      id name kind enabled schedule timeZone lookbackDays maxWindowDays config mappingVersion version secretNames
      mappingVersions { version mapping createdAt createdBy }
      department { code name nameVi }
      ${CONNECTOR_HEALTH}
      runs(first: 20) { totalCount edges { node { ${RUN_FIELDS} } } }
    }
    connectorKinds { kind secretNames }
  }
`;

export const RUN = /* GraphQL */ `
  query ConsoleRun($id: ID!) {
    connectorRun(id: $id) { ${RUN_FIELDS} }
  }
`;

/** A run's state after every batch it commits (over graphql-ws; the console's live progress view). */
export const RUN_UPDATED = /* GraphQL */ `
  subscription ConsoleRunUpdated($connectorId: ID!) {
    connectorRunUpdated(connectorId: $connectorId) { ${RUN_FIELDS} }
  }
`;

export const REJECTIONS = /* GraphQL */ `
  query ConsoleRejections($id: ID!) {
    connectorRun(id: $id) {
      id databaseId
      rejections(first: 100) { totalCount edges { node { rowIndex reason message raw } } }
    }
  }
`;

export const RUN_CONNECTOR = /* GraphQL */ `
  mutation ConsoleRunConnector($id: ID!, $from: Date, $to: Date) {
    runConnector(id: $id, from: $from, to: $to) { ${RUN_FIELDS} }
  }
`;

export const SET_ENABLED = /* GraphQL */ `
  mutation ConsoleSetConnectorEnabled($id: ID!, $enabled: Boolean!) {
    setConnectorEnabled(id: $id, enabled: $enabled) { id enabled ${CONNECTOR_HEALTH} }
  }
`;

export const CONNECTOR_KINDS = /* GraphQL */ `
  query ConsoleConnectorKinds {
    connectorKinds { kind description pulled secretNames configSchema }
  }
`;

export const REGISTER_CONNECTOR = /* GraphQL */ `
  mutation ConsoleRegisterConnector($input: ConnectorInput!) {
    registerConnector(input: $input) { id name }
  }
`;

export const EDIT_CONNECTOR = /* GraphQL */ `
  query ConsoleEditConnector($id: ID!) {
    connector(id: $id) { id name kind schedule config mapping version secretNames department { code } }
    connectorKinds { kind description pulled secretNames configSchema }
  }
`;

export const UPDATE_CONNECTOR = /* GraphQL */ `
  mutation ConsoleUpdateConnector($id: ID!, $input: ConnectorUpdateInput!) {
    updateConnector(id: $id, input: $input) { id name version }
  }
`;

export const PREVIEW_CONNECTOR = /* GraphQL */ `
  mutation ConsolePreviewConnector($input: ConnectorInput!, $id: ID) {
    previewConnector(input: $input, id: $id) { ok message samples rows rejections { rowIndex reason message raw } }
  }
`;

export const TEST_CONNECTOR = /* GraphQL */ `
  mutation ConsoleTestConnector($id: ID!) {
    testConnector(id: $id) { ok message warnings streams { name fields sample } }
  }
`;
