import { lexicographicSortSchema, printSchema, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AggregateRowResolver, AnalyticsResolver, SeriesResolver } from '../analytics/analytics.resolver';
import { authChecker } from '../security/access';
import { guardFiniteFloats } from './finite-floats';
import { AuditEventResolver } from '../security/audit.resolver';
import { CatalogueImportResolver } from '../modules/catalogue/catalogue-import.resolver';
import { CatalogueLifecycleResolver, MetricHistoryResolver } from '../modules/catalogue/catalogue-lifecycle.resolver';
import { PilotModelResolver, ProgramResolver, TaskGroupResolver, TaskResolver } from '../modules/catalogue/catalogue.resolver';
import { DepartmentResolver } from '../modules/departments/department.resolver';
import { DepartmentSuccessionResolver, ReorganizationResolver } from '../modules/departments/reorganization.resolver';
import { ConnectorResolver, ConnectorRunResolver, RunRejectionResolver } from '../modules/connectors/connector.resolver';
import { DepartmentFreshnessResolver, MetricFreshnessResolver, PilotModelFreshnessResolver } from '../modules/metrics/freshness.resolver';
import { MetricResolver } from '../modules/metrics/metric.resolver';
import { MetricObservationsResolver, ObservationResolver } from '../modules/observations/observation.resolver';
import { EvaluationLinksResolver, EvaluationQualityResolver, EvaluationResolver } from '../modules/progress/evaluation.resolver';
import { DepartmentScorecardFieldsResolver, DepartmentScorecardResolver, ProgressReportResolver, ProgressResolver } from '../modules/progress/progress.resolver';
import { OutboundHostResolver } from '../modules/outbound/outbound-host.resolver';
import { AdministrativeUnitResolver } from '../modules/units/unit.resolver';
import { ApiKeyResolver } from '../security/api-key.resolver';
import { nodeResolvers } from './node.resolver';
import { FederationResolver } from './federation';
import { LiveResolver } from '../live/live.resolver';

export const resolvers = [
  ProgramResolver,
  TaskGroupResolver,
  CatalogueLifecycleResolver,
  CatalogueImportResolver,
  MetricHistoryResolver,
  TaskResolver,
  PilotModelResolver,
  DepartmentResolver,
  DepartmentSuccessionResolver,
  ReorganizationResolver,
  AdministrativeUnitResolver,
  MetricResolver,
  MetricObservationsResolver,
  ObservationResolver,
  MetricFreshnessResolver,
  PilotModelFreshnessResolver,
  DepartmentFreshnessResolver,
  ConnectorResolver,
  ConnectorRunResolver,
  RunRejectionResolver,
  ProgressResolver,
  ProgressReportResolver,
  DepartmentScorecardResolver,
  DepartmentScorecardFieldsResolver,
  EvaluationResolver,
  EvaluationQualityResolver,
  EvaluationLinksResolver,
  ApiKeyResolver,
  AuditEventResolver,
  AnalyticsResolver,
  SeriesResolver,
  AggregateRowResolver,
  OutboundHostResolver,
  ...nodeResolvers,
  FederationResolver,
  LiveResolver,
] as const;

/**
 * Every subscription brings its own `subscribe` (src/live/live.resolver.ts, over the hub's live updates): type-graphql
 * asks for a pub/sub all the same (for any schema built from `resolvers`), and this one is never used.
 */
export const UNUSED_PUB_SUB = {
  publish: () => undefined,
  subscribe: (): never => {
    throw new Error('subscriptions subscribe through src/live, not through type-graphql topics');
  },
};

export async function buildHubSchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers,
    // class-validator runs only on the arguments that declare it (`validate` on their @Arg): running it on every
    // input object of every operation costs time on each request and checks nothing elsewhere.
    validate: false,
    authChecker,
    pubSub: UNUSED_PUB_SUB,
  });
  describeRootTypes(schema);
  return guardFiniteFloats(schema);
}

/** type-graphql builds the root types itself, without a description; GraphiQL's explorer shows these first. */
function describeRootTypes(schema: GraphQLSchema): void {
  const descriptions: Array<[GraphQLObjectType | null | undefined, string]> = [
    [schema.getQueryType(), 'Reads: the catalogue, metric values, analytics, progress, connectors and audit, each within the caller\'s role and departments.'],
    [schema.getMutationType(), 'Writes: accountability updates, targets, connectors and their runs, pushed values, API keys and the outbound allowlist; a failing mutation writes nothing.'],
    [schema.getSubscriptionType(), 'Live updates, within the caller\'s role and departments like queries.'],
  ];
  for (const [type, description] of descriptions) {
    if (type && !type.description) type.description = description;
  }
}

/** The SDL committed as schema/schema.graphql: types and fields sorted so diffs stay readable. */
export function printHubSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
