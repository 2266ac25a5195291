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
  @Field()
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

  @Field(() => Boolean, { nullable: true, defaultValue: true })
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

  @Field(() => [SecretInput], { nullable: true })
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

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  schedule?: string | null;

  @Field(() => String, { nullable: true })
  timeZone?: string | null;

  @Field(() => Int, { nullable: true })
  lookbackDays?: number | null;

  @Field(() => Int, { nullable: true })
  maxWindowDays?: number | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  config?: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  mapping?: Record<string, unknown> | null;

  @Field(() => [SecretInput], { nullable: true })
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

  @Field(() => Number, { nullable: true })
  value?: number | null;

  @Field(() => Number, { nullable: true })
  numerator?: number | null;

  @Field(() => Number, { nullable: true })
  denominator?: number | null;
}

@InputType()
export class ConnectorFilter {
  @Field(() => String, { nullable: true, description: 'Department code.' })
  department?: string | null;

  @Field(() => String, { nullable: true })
  kind?: string | null;

  @Field(() => Boolean, { nullable: true })
  enabled?: boolean | null;
}

@ObjectType({ description: 'Counts of a run: fetched = imported + updated + unchanged + rejected.' })
export class ImportSummary {
  @Field(() => Int)
  fetched: number;

  @Field(() => Int, { description: 'New values stored.' })
  imported: number;

  @Field(() => Int, { description: 'Values that replaced a different earlier value (kept as a revision).' })
  updated: number;

  @Field(() => Int, { description: 'Values identical to what was stored; nothing written.' })
  unchanged: number;

  @Field(() => Int)
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

@ObjectType({ description: 'How a connector is doing, from its run ledger.' })
export class ConnectorHealth {
  @Field(() => ConnectorHealthStatus)
  status: ConnectorHealthStatus;

  @Field(() => String, { nullable: true, description: 'Error of the last failed run, if the last run failed.' })
  lastError: string | null;

  @Field(() => Int, { description: 'Failed or interrupted runs since the last successful one.' })
  consecutiveFailures: number;

  @Field(() => Date, { nullable: true })
  lastRunAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'End of the last run that succeeded (or finished with rejections).' })
  lastSuccessAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'Next scheduled fire; null when disabled or push.' })
  nextRunAt: Date | null;
}

@ObjectType({ description: 'What a source offers.' })
export class DiscoveredStream {
  @Field()
  name: string;

  @Field(() => [String])
  fields: string[];

  @Field(() => [GraphQLJSONObject], { description: 'A few records as read.' })
  sample: Array<Record<string, unknown>>;
}

@ObjectType({ description: 'Result of testConnector: can the source be reached, and what does it offer.' })
export class ConnectorTestResult {
  @Field()
  ok: boolean;

  @Field()
  message: string;

  @Field(() => [String], {
    description:
      'What works but should be changed, Vietnamese first, English beside (e.g. a sql account with more rights than SELECT on its schema).',
  })
  warnings: string[];

  @Field(() => [DiscoveredStream], { complexity: listCost })
  streams: DiscoveredStream[];
}

@ObjectType({ description: 'A connector kind the hub supports.' })
export class ConnectorKindInfo {
  @Field()
  kind: string;

  @Field()
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
  @Field(() => ConnectorRun)
  run: ConnectorRun;

  @Field(() => ImportSummary)
  summary: ImportSummary;

  @Field(() => [RunRejection], { complexity: listCost, description: 'Rows refused (at most 1,000 listed; the run keeps them too).' })
  rejections: RunRejection[];
}
