import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AggregateMeasureResolver, AggregateRowResolver, AnalyticsResolver, SeriesResolver } from '../analytics/analytics.resolver';
import { authChecker } from '../security/access';
import { PilotModelResolver, ProgramResolver, TaskGroupResolver, TaskResolver } from '../modules/catalogue/catalogue.resolver';
import { DepartmentResolver } from '../modules/departments/department.resolver';
import { ConnectorResolver, ConnectorRunResolver, RunRejectionResolver } from '../modules/connectors/connector.resolver';
import { DepartmentFreshnessResolver, MetricFreshnessResolver, PilotModelFreshnessResolver } from '../modules/metrics/freshness.resolver';
import { MetricResolver } from '../modules/metrics/metric.resolver';
import { MetricObservationsResolver, ObservationResolver } from '../modules/observations/observation.resolver';
import { AdministrativeUnitResolver } from '../modules/units/unit.resolver';

export const resolvers = [
  ProgramResolver,
  TaskGroupResolver,
  TaskResolver,
  PilotModelResolver,
  DepartmentResolver,
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
  AnalyticsResolver,
  SeriesResolver,
  AggregateMeasureResolver,
  AggregateRowResolver,
] as const;

export function buildHubSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    validate: { forbidUnknownValues: false },
    authChecker,
  });
}

/** The SDL committed as schema/schema.graphql: types and fields sorted so diffs stay readable. */
export function printHubSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
