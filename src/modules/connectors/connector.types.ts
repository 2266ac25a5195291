import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { connectionType } from '../../graphql/connection';
import { listCost } from '../../graphql/limits';
import { ConnectorRun, RunRejection, SkippedFire } from './connector-run.entity';
import { Connector } from './connector.entity';

export const ConnectorConnection = connectionType(Connector, 'Connector');
export const ConnectorRunConnection = connectionType(ConnectorRun, 'ConnectorRun');
export const RunRejectionConnection = connectionType(RunRejection, 'RunRejection');
export const SkippedFireConnection = connectionType(SkippedFire, 'SkippedFire');

@InputType({ description: 'A credential of a connector; stored apart from its configuration and never returned.' })
export class SecretInput {
  @Field({ description: 'Secret name, one of the kind\'s secretNames (see connectorKinds), e.g. password or token.' })
  name: string;

  @Field({ description: 'The value; an empty string removes the secret.' })
  value: string;
}

@InputType({ description: 'A new connector.' })
export class ConnectorInput {
  @Field({ description: 'Unique name, e.g. "Health: biometric visits".' })
  name: string;

  @Field({ description: 'Kind: http-json, csv, sql, dhis2 or push (see connectorKinds).' })
  kind: string;

  @Field({ description: 'Code of the department the connector belongs to; it may only write that department’s metrics.' })
  department: string;

  @Field(() => String, { nullable: true, description: 'Cron expression (5 fields, or 6 with seconds); required except for push.' })
  schedule?: string | null;

  @Field(() => String, { nullable: true, description: 'IANA time zone of the schedule (default the hub’s).' })
  timeZone?: string | null;

  @Field(() => Boolean, { nullable: true, defaultValue: true, description: 'False registers it disabled (no scheduled runs); default true.' })
  enabled?: boolean | null;

  @Field(() => Int, { nullable: true, description: 'Days a routine run reads back from today (default 7).' })
  lookbackDays?: number | null;

  @Field(() => Int, { nullable: true, description: 'Longest window one read covers (for sources that limit ranges); default unlimited.' })
  maxWindowDays?: number | null;

  @Field(() => GraphQLJSONObject, { description: 'Kind-specific configuration (never credentials).' })
  config: Record<string, unknown>;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'Source fields → metric, unit, period, value (and numerator, denominator); default for push: the hub’s own field names.',
  })
  mapping?: Record<string, unknown> | null;

  @Field(() => [SecretInput], { nullable: true, description: 'Credentials the configuration refers to (e.g. a password or token); write-only.' })
  secrets?: SecretInput[] | null;
}

@InputType({
  description:
    'Changes to a connector; omitted fields stay as they are. A new mapping gets a new mapping version. Concurrent changes are applied one after ' +
    'the other, each to the definition as the previous one left it, so changes to different fields all survive.',
})
export class ConnectorUpdateInput {
  @Field(() => Int, {
    nullable: true,
    description: 'The connector’s version this change was made against; if the connector has changed since, nothing is changed and the answer is CONFLICT.',
  })
  expectedVersion?: number | null;

  @Field(() => String, { nullable: true, description: 'New unique name.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'New cron expression (5 fields, or 6 with seconds).' })
  schedule?: string | null;

  @Field(() => String, { nullable: true, description: 'New IANA time zone of the schedule, e.g. Asia/Ho_Chi_Minh.' })
  timeZone?: string | null;

  @Field(() => Int, { nullable: true, description: 'New number of days a routine run reads back from today.' })
  lookbackDays?: number | null;

  @Field(() => Int, { nullable: true, description: 'New longest window one read covers, in days.' })
  maxWindowDays?: number | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The whole new kind-specific configuration (replaces the current one; never credentials).' })
  config?: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The whole new mapping; becomes a new mapping version.' })
  mapping?: Record<string, unknown> | null;

  @Field(() => [SecretInput], { nullable: true, description: 'Secrets to set or, with an empty value, remove; secrets not listed stay.' })
  secrets?: SecretInput[] | null;
}

@InputType({ description: 'One row sent to the hub: codes and values as in the catalogue.' })
export class ObservationInput {
  @Field({ description: 'Metric code, e.g. KCB_BIOMETRIC_VISITS.' })
  metric: string;

  @Field({ description: 'GSO code of the administrative unit.' })
  unit: string;

  @Field({ description: 'Period in the metric’s frequency, e.g. 2024-03-15 or 2024-03.' })
  period: string;

  @Field(() => Number, { nullable: true, description: 'The value, for COUNT and STOCK metrics; for RATE metrics give numerator and denominator instead.' })
  value?: number | null;

  @Field(() => Number, { nullable: true, description: 'RATE metrics: the count meeting the condition (e.g. records digitized).' })
  numerator?: number | null;

  @Field(() => Number, { nullable: true, description: 'RATE metrics: the count it is a share of (e.g. all records); greater than 0.' })
  denominator?: number | null;
}

@InputType({ description: 'Filters for connectors; all given filters must match.' })
export class ConnectorFilter {
  @Field(() => String, { nullable: true, description: 'Department code.' })
  department?: string | null;

  @Field(() => String, { nullable: true, description: 'Connector kind, e.g. http-json, csv, sql, dhis2 or push.' })
  kind?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Only enabled (true) or disabled (false) connectors.' })
  enabled?: boolean | null;
}

@ObjectType({ description: 'Counts of a run: fetched = imported + updated + unchanged + rejected.' })
export class ImportSummary {
  @Field(() => Int, { description: 'Rows read from the source (or pushed).' })
  fetched: number;

  @Field(() => Int, { description: 'New values stored.' })
  imported: number;

  @Field(() => Int, { description: 'Values that replaced a different earlier value (kept as a revision).' })
  updated: number;

  @Field(() => Int, { description: 'Values identical to what was stored; nothing written.' })
  unchanged: number;

  @Field(() => Int, { description: 'Rows refused (see the run\'s rejections); nothing of them was stored.' })
  rejected: number;
}

export enum ConnectorHealthStatus {
  /** Enabled, and the last run succeeded. */
  HEALTHY = 'HEALTHY',
  /** The last run finished with rejected rows. */
  DEGRADED = 'DEGRADED',
  /** The last run failed or was interrupted. */
  FAILING = 'FAILING',
  /** Never run yet. */
  NEW = 'NEW',
  DISABLED = 'DISABLED',
}
registerEnumType(ConnectorHealthStatus, {
  name: 'ConnectorHealthStatus',
  description: 'Health of a connector, from its last finished run.',
  valuesConfig: {
    HEALTHY: { description: 'Enabled, and the last run succeeded.' },
    DEGRADED: { description: 'The last run finished with rejected rows.' },
    FAILING: { description: 'The last run failed or was interrupted.' },
    NEW: { description: 'Enabled and never run yet.' },
    DISABLED: { description: 'Disabled: no scheduled runs.' },
  },
});

@ObjectType('ConnectorMappingVersion', { description: 'A mapping a connector has had; each run names the version it used (ConnectorRun.mappingVersion).' })
export class MappingVersionInfo {
  @Field(() => Int, { description: 'Version number, from 1; the highest is the current mapping (Connector.mappingVersion).' })
  version: number;

  @Field(() => GraphQLJSONObject, { description: 'The mapping of this version.' })
  mapping: Record<string, unknown>;

  @Field(() => Date, { description: 'When this version was saved (UTC timestamp).' })
  createdAt: Date;

  @Field({ description: 'Who saved it: the name of the key or token that registered or changed the connector.' })
  createdBy: string;
}

@ObjectType({ description: 'How a connector is doing, from its run ledger.' })
export class ConnectorHealth {
  @Field(() => ConnectorHealthStatus, { description: 'Overall health, from the last finished run.' })
  status: ConnectorHealthStatus;

  @Field(() => String, { nullable: true, description: 'Error of the last failed run, if the last run failed.' })
  lastError: string | null;

  @Field(() => Int, { description: 'Failed or interrupted runs since the last successful one.' })
  consecutiveFailures: number;

  @Field(() => Date, { nullable: true, description: 'Start of the last run (UTC timestamp); null when never run.' })
  lastRunAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'End of the last run that succeeded (or finished with rejections).' })
  lastSuccessAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'Next scheduled fire; null when disabled or push.' })
  nextRunAt: Date | null;
}

@ObjectType({ description: 'What a source offers.' })
export class DiscoveredStream {
  @Field({ description: 'Name of the stream: a table, an endpoint\'s record list or a DHIS2 data set.' })
  name: string;

  @Field(() => [String], { description: 'Field names found in its records (dotted paths for nested fields), usable in a mapping.' })
  fields: string[];

  @Field(() => [GraphQLJSONObject], { description: 'A few records as read.' })
  sample: Array<Record<string, unknown>>;
}

@ObjectType({ description: 'Result of testConnector: can the source be reached, and what does it offer.' })
export class ConnectorTestResult {
  @Field({ description: 'True when the source was reached and answered as expected.' })
  ok: boolean;

  @Field({ description: 'What happened, in words; on failure the source\'s error (credentials redacted).' })
  message: string;

  @Field(() => [String], {
    description:
      'What works but should be changed, Vietnamese first, English beside (e.g. a sql account with more rights than SELECT on its schema).',
  })
  warnings: string[];

  @Field(() => [DiscoveredStream], { complexity: listCost, description: 'What the source offers; empty when it could not be reached.' })
  streams: DiscoveredStream[];
}

@ObjectType({ description: 'A connector kind the hub supports.' })
export class ConnectorKindInfo {
  @Field({ description: 'Kind name to give as ConnectorInput.kind, e.g. http-json.' })
  kind: string;

  @Field({ description: 'What the kind reads and how.' })
  description: string;

  @Field(() => [String], { description: 'Names of the secrets its configuration may use.' })
  secretNames: string[];

  @Field({
    description:
      'Whether the hub pulls the records (on its schedule, or a manual run); false for a kind the department pushes to ' +
      '(submitObservations, POST /ingest/<id>), which has no schedule and nothing to run.',
  })
  pulled: boolean;

  @Field(() => GraphQLJSONObject, {
    description:
      'JSON Schema (draft 2020-12) of the configuration: fields, types, required fields, defaults, enumerations, bounds ' +
      'and patterns. Checks written as code (e.g. that a sql query is one plain SELECT) are made on registration.',
  })
  configSchema: Record<string, unknown>;
}

@ObjectType({ description: 'Outcome of a push: the run recorded for it, its counts and the rows refused.' })
export class PushResult {
  @Field(() => ConnectorRun, { description: 'The run recorded for this push (trigger PUSH).' })
  run: ConnectorRun;

  @Field(() => ImportSummary, { description: 'Counts of the push: fetched = imported + updated + unchanged + rejected.' })
  summary: ImportSummary;

  @Field(() => [RunRejection], { complexity: listCost, description: 'Rows refused (at most 1,000 listed; the run keeps them too).' })
  rejections: RunRejection[];
}

@ObjectType({ description: 'Result of previewConnector: a few records read from the source, the rows the mapping makes of them and the rows ingestion would reject; nothing is written.' })
export class ConnectorPreview {
  @Field({ description: 'True when the source was read; false when it could not be (message says why), or the kind is pushed and has no source to read.' })
  ok: boolean;

  @Field({ description: 'What happened, in words; on failure the source\'s error (credentials redacted).' })
  message: string;

  @Field(() => [GraphQLJSONObject], { complexity: listCost, description: 'The source records read (at most 20, from the routine window: the last lookbackDays days), as the kind read them, credentials redacted.' })
  samples: Array<Record<string, unknown>>;

  @Field(() => [GraphQLJSONObject], { complexity: listCost, description: 'The rows the mapping makes of the samples (metric, unit, period, value, numerator, denominator as they would be sent to ingestion), in order; a row\'s index is its rowIndex in rejections.' })
  rows: Array<Record<string, unknown>>;

  @Field(() => [RunRejection], { complexity: listCost, description: 'The rows ingestion would reject, with the reason and message a run would record.' })
  rejections: RunRejection[];
}

@ObjectType({ description: 'A connector definition as the hub would store it: the name trimmed and in NFC, defaults filled (see validateConnector).' })
export class ValidatedDefinition {
  @Field({ description: 'The name as it would be stored.' })
  name: string;

  @Field({ description: 'Connector kind.' })
  kind: string;

  @Field({ description: 'Code of the department.' })
  department: string;

  @Field(() => String, { nullable: true, description: 'Cron expression; null for push connectors.' })
  schedule: string | null;

  @Field({ description: 'IANA time zone of the schedule (the hub’s when none was given).' })
  timeZone: string;

  @Field(() => Int, { description: 'Days a routine run reads back from today.' })
  lookbackDays: number;

  @Field(() => Int, { nullable: true, description: 'Longest window one read covers, in days; null: unlimited.' })
  maxWindowDays: number | null;

  @Field(() => GraphQLJSONObject, { description: 'The configuration with its defaults filled.' })
  config: Record<string, unknown>;

  @Field(() => GraphQLJSONObject, { description: 'The mapping as it would be stored (for push: the identity mapping when none was given).' })
  mapping: Record<string, unknown>;
}
