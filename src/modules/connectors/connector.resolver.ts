import type { GraphQLResolveInfo } from 'graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { connectorKind, CONNECTOR_KIND_NAMES } from '../../../connectors/registry';
import { toJsonSchema } from '../../../connectors/sdk/json-schema';
import { SortDirection } from '../../common/enums';
import { HubError } from '../../common/errors';
import { CalendarDateScalar } from '../../common/scalars';
import { nestedConnection, PageArgs, rootConnection, type Connection } from '../../graphql/connection';
import { scopeOf, type HubContext } from '../../graphql/context';
import { CONNECTOR_WRITE_ROLES, OPERATIONAL_READ_ROLES } from '../../security/access';
import { connectionCost, listCost } from '../../graphql/limits';
import { Department } from '../departments/department.entity';
import { parseStoredRaw } from '../../ingestion/rejections';
import { ConnectorRun, RunRejection, type SkippedFire } from './connector-run.entity';
import { Connector, FireSkipReason, RunStatus } from './connector.entity';
import { connectorsQuery, rejectionsQuery, requireVisibleRun, runsQuery, skippedFiresQuery } from './connector.queries';
import { parseConnectorId, type ConnectorService } from './connector.service';
import { parseNodeId } from '../../graphql/node-id';
import {
  ConnectorConnection,
  ConnectorFilter,
  ConnectorHealth,
  ConnectorInput,
  ConnectorKindInfo,
  ConnectorRunConnection,
  ConnectorTestResult,
  ConnectorPreview,
  ConnectorUpdateInput,
  ImportSummary,
  MappingVersionInfo,
  ObservationInput,
  PushResult,
  RunRejectionConnection,
  SkippedFireConnection,
  ValidatedDefinition,
} from './connector.types';

/** The kinds as the API lists them (built once: they never change while the process runs). */
let kindInfos: ConnectorKindInfo[] | null = null;
function connectorKindInfos(): ConnectorKindInfo[] {
  kindInfos ??= CONNECTOR_KIND_NAMES.map((name) => {
    const kind = connectorKind(name)!;
    return { kind: kind.kind, description: kind.description, secretNames: [...kind.secretNames], pulled: kind.pulled, configSchema: toJsonSchema(kind.configSchema) };
  });
  return kindInfos;
}

function service(context: HubContext): ConnectorService {
  if (!context.connectors) throw new HubError('SERVICE_UNAVAILABLE', 'connectors are not available in this process');
  return context.connectors.service;
}

@Resolver(() => Connector)
export class ConnectorResolver {
  @Authorized(...OPERATIONAL_READ_ROLES)
  @Query(() => [ConnectorKindInfo], { complexity: listCost, description: 'Connector kinds this hub supports.' })
  connectorKinds(): ConnectorKindInfo[] {
    return connectorKindInfos();
  }

  @Authorized(...OPERATIONAL_READ_ROLES)
  @Query(() => Connector, { nullable: true, description: 'A connector by id.' })
  async connector(@Arg('id', () => ID, { description: 'Global id of the connector, or its databaseId.' }) id: string, @Ctx() context: HubContext): Promise<Connector> {
    return service(context).requireConnector(parseConnectorId(id), context.principal);
  }

  @Authorized(...OPERATIONAL_READ_ROLES)
  @Query(() => ConnectorConnection, { complexity: connectionCost, description: 'Connectors (not deleted), by name.' })
  connectors(
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: HubContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => ConnectorFilter, { nullable: true, description: 'Only connectors matching every given filter; null: all you may see.' }) filter?: ConnectorFilter,
  ): Promise<Connection<Connector>> {
    return rootConnection({
      context,
      info,
      page,
      query: () => connectorsQuery(scopeOf(context), filter),
      sort: [{ property: 'name', direction: SortDirection.ASC }],
    });
  }

  @Authorized(...OPERATIONAL_READ_ROLES)
  @Query(() => ConnectorRun, { nullable: true, description: 'A connector run by id.' })
  async connectorRun(@Arg('id', () => ID, { description: 'Global id of the run, or its databaseId.' }) id: string, @Ctx() context: HubContext): Promise<ConnectorRun> {
    return requireVisibleRun(scopeOf(context), parseNodeId(id, 'ConnectorRun', 'id', 'connector run'));
  }

  @FieldResolver(() => Department, { description: 'The department the connector belongs to; it may only write that department\'s metrics.' })
  async department(@Root() connector: Connector, @Ctx() context: HubContext): Promise<Department> {
    return context.loaders.related(Department, connector.departmentId);
  }

  @Authorized(...OPERATIONAL_READ_ROLES)
  @FieldResolver(() => GraphQLJSONObject, { description: 'Kind-specific configuration (credentials are never part of it).' })
  config(@Root() connector: Connector): Record<string, unknown> {
    return JSON.parse(connector.config) as Record<string, unknown>;
  }

  @Authorized(...OPERATIONAL_READ_ROLES)
  @FieldResolver(() => GraphQLJSONObject, { description: 'The current mapping (version mappingVersion).' })
  mapping(@Root() connector: Connector): Record<string, unknown> {
    return JSON.parse(connector.mapping) as Record<string, unknown>;
  }

  @Authorized(...OPERATIONAL_READ_ROLES)
  @FieldResolver(() => [MappingVersionInfo], { complexity: listCost, description: 'Every mapping the connector has had, newest (the current one) first.' })
  async mappingVersions(@Root() connector: Connector, @Ctx() context: HubContext): Promise<MappingVersionInfo[]> {
    const versions = await context.loaders.connectorMappingVersions.load(connector.id);
    return versions.map(({ version, mapping, createdAt, createdBy }) => ({ version, mapping: JSON.parse(mapping) as Record<string, unknown>, createdAt, createdBy }));
  }

  @Authorized(...OPERATIONAL_READ_ROLES)
  @FieldResolver(() => [String], { description: 'Names of the secrets set; their values are write-only.' })
  async secretNames(@Root() connector: Connector, @Ctx() context: HubContext): Promise<string[]> {
    const secrets = await context.loaders.connectorSecrets.load(connector.id);
    return secrets.map((secret) => secret.name);
  }

  @Authorized(...OPERATIONAL_READ_ROLES)
  @FieldResolver(() => ConnectorHealth, { description: 'How the connector is doing, from its recent runs.' })
  async health(@Root() connector: Connector, @Ctx() context: HubContext): Promise<ConnectorHealth> {
    const health = await context.loaders.connectorHealth.load(connector);
    return { ...health, nextRunAt: connector.enabled ? (context.connectors?.nextRunAt(connector.id) ?? null) : null };
  }

  @Authorized(...OPERATIONAL_READ_ROLES)
  @FieldResolver(() => ConnectorRunConnection, { complexity: connectionCost, description: 'Runs of this connector, newest first.' })
  runs(
    @Root() connector: Connector,
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: HubContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('status', () => RunStatus, { nullable: true, description: 'Only runs in this status; null: all.' }) status?: RunStatus | null,
  ): Promise<Connection<ConnectorRun>> {
    return nestedConnection({
      context,
      info,
      page,
      name: 'Connector.runs',
      parentProperty: 'connectorId',
      parentId: connector.id,
      variant: status,
      query: () => runsQuery(context.dataSource, status),
      sort: [{ property: 'id', direction: SortDirection.DESC }],
    });
  }

  @Authorized(...OPERATIONAL_READ_ROLES)
  @FieldResolver(() => SkippedFireConnection, {
    complexity: connectionCost,
    description:
      'Schedule fires that started no run of their own, newest first: skipped while the connector was still running (OVERLAP), or missed while no hub process ran and coalesced into one run (DOWNTIME).',
  })
  skippedFires(
    @Root() connector: Connector,
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: HubContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('reason', () => FireSkipReason, { nullable: true, description: 'Only skips for this reason; null: all.' }) reason?: FireSkipReason | null,
  ): Promise<Connection<SkippedFire>> {
    return nestedConnection({
      context,
      info,
      page,
      name: 'Connector.skippedFires',
      parentProperty: 'connectorId',
      parentId: connector.id,
      variant: reason,
      query: () => skippedFiresQuery(context.dataSource, reason),
      sort: [{ property: 'id', direction: SortDirection.DESC }],
    });
  }

  @Authorized(...CONNECTOR_WRITE_ROLES)
  @Mutation(() => Connector, { description: 'Registers a connector; its definition is validated and its schedule planned.' })
  registerConnector(@Arg('input', () => ConnectorInput, { description: 'The new connector\'s definition.' }) input: ConnectorInput, @Ctx() context: HubContext): Promise<Connector> {
    return service(context).register(input, context.principal);
  }

  @Authorized(...CONNECTOR_WRITE_ROLES)
  @Mutation(() => ValidatedDefinition, {
    description:
      'Checks a whole connector definition as registerConnector would — or, with id, as updateConnector to this definition would — and writes ' +
      'nothing: the same BAD_USER_INPUT naming the field, or the definition as it would be stored (defaults filled). Secret values are only checked for length.',
  })
  validateConnector(
    @Arg('input', () => ConnectorInput, { description: 'The whole definition.' }) input: ConnectorInput,
    @Ctx() context: HubContext,
    @Arg('id', () => ID, { nullable: true, description: 'Global id (or databaseId) of the connector this definition would replace; null: a new connector.' }) id?: string | null,
  ): Promise<ValidatedDefinition> {
    return service(context).validate(input, id == null ? null : parseConnectorId(id), context.principal);
  }

  @Authorized(...CONNECTOR_WRITE_ROLES)
  @Mutation(() => ConnectorPreview, {
    description:
      'Shows what a definition would bring before it is saved, writing nothing: checks it as validateConnector does (same errors and scope), reads ' +
      'at most 20 records from its source as testConnector reaches it (same time limit and outbound allowlist; the secrets of input.secrets, ' +
      'used for this read only: never stored, logged or answered; with id, the connector\'s own for the others), maps them with its mapping and runs ingestion\'s validation on the rows: the samples, the rows and the rejections they would raise.',
  })
  previewConnector(
    @Arg('input', () => ConnectorInput, { description: 'The whole definition to preview.' }) input: ConnectorInput,
    @Ctx() context: HubContext,
    @Arg('id', () => ID, { nullable: true, description: 'Global id (or databaseId) of the connector this definition would replace; null: a new connector.' }) id?: string | null,
  ): Promise<ConnectorPreview> {
    return service(context).preview(input, id == null ? null : parseConnectorId(id), context.principal);
  }

  @Authorized(...CONNECTOR_WRITE_ROLES)
  @Mutation(() => Connector, { description: 'Changes a connector; a changed mapping becomes a new mapping version.' })
  updateConnector(
    @Arg('id', () => ID, { description: 'Global id of the connector, or its databaseId.' }) id: string,
    @Arg('input', () => ConnectorUpdateInput, { description: 'The changes; omitted fields stay as they are.' }) input: ConnectorUpdateInput,
    @Ctx() context: HubContext,
  ): Promise<Connector> {
    return service(context).update(parseConnectorId(id), input, context.principal);
  }

  @Authorized(...CONNECTOR_WRITE_ROLES)
  @Mutation(() => Connector, { description: 'Enables or disables a connector: a disabled one has no scheduled runs and refuses pushes.' })
  setConnectorEnabled(@Arg('id', () => ID, { description: 'Global id of the connector, or its databaseId.' }) id: string, @Arg('enabled', { description: 'True to enable, false to disable.' }) enabled: boolean, @Ctx() context: HubContext): Promise<Connector> {
    return service(context).setEnabled(parseConnectorId(id), enabled, context.principal);
  }

  @Authorized(...CONNECTOR_WRITE_ROLES)
  @Mutation(() => Boolean, { description: 'Removes a connector from use; its run ledger and the values it brought stay.' })
  deleteConnector(@Arg('id', () => ID, { description: 'Global id of the connector, or its databaseId.' }) id: string, @Ctx() context: HubContext): Promise<boolean> {
    return service(context).delete(parseConnectorId(id), context.principal);
  }

  @Authorized(...CONNECTOR_WRITE_ROLES)
  @Mutation(() => ConnectorTestResult, { description: 'Checks that the source can be reached and lists what it offers.' })
  testConnector(@Arg('id', () => ID, { description: 'Global id of the connector, or its databaseId.' }) id: string, @Ctx() context: HubContext): Promise<ConnectorTestResult> {
    return service(context).test(parseConnectorId(id), context.principal);
  }

  @Authorized(...CONNECTOR_WRITE_ROLES)
  @Mutation(() => ConnectorRun, {
    description: 'Runs a connector now: its routine window, or with from/to a backfill of those days. Returns at once unless wait is true.',
  })
  runConnector(
    @Arg('id', () => ID, { description: 'Global id of the connector, or its databaseId.' }) id: string,
    @Ctx() context: HubContext,
    @Arg('from', () => CalendarDateScalar, { nullable: true, description: 'First day of a backfill (YYYY-MM-DD), with to; null: the routine window (lookbackDays).' }) from?: string | null,
    @Arg('to', () => CalendarDateScalar, { nullable: true, description: 'Last day of a backfill (YYYY-MM-DD), with from.' }) to?: string | null,
    @Arg('wait', () => Boolean, { nullable: true, defaultValue: false, description: 'True: answer when the run has finished; false (default): answer at once with the RUNNING run.' }) wait?: boolean,
  ): Promise<ConnectorRun> {
    return service(context).run(parseConnectorId(id), from, to, context.principal, wait ?? false, context.requestId);
  }

  @Authorized(...CONNECTOR_WRITE_ROLES)
  @Mutation(() => PushResult, { description: 'Sends rows through a push connector; returns the import summary of the run.' })
  submitObservations(
    @Arg('connectorId', () => ID, { description: 'Global id of the push connector, or its databaseId.' }) connectorId: string,
    @Arg('rows', () => [ObservationInput], { description: 'The rows (at most the connector\'s maxRowsPerPush, default 50,000); valid rows are stored, the others rejected.' }) rows: ObservationInput[],
    @Ctx() context: HubContext,
  ): Promise<PushResult> {
    return service(context).push(parseConnectorId(connectorId, 'connectorId'), rows, context.principal, context.requestId);
  }
}

@Resolver(() => ConnectorRun)
export class ConnectorRunResolver {
  @FieldResolver(() => Connector, { description: 'The connector that ran.' })
  async connector(@Root() run: ConnectorRun, @Ctx() context: HubContext): Promise<Connector> {
    return context.loaders.related(Connector, run.connectorId);
  }

  @FieldResolver(() => ImportSummary, { description: 'Counts of the run so far: fetched = imported + updated + unchanged + rejected.' })
  summary(@Root() run: ConnectorRun): ImportSummary {
    return { fetched: run.fetched, imported: run.imported, updated: run.updated, unchanged: run.unchanged, rejected: run.rejected };
  }

  @FieldResolver(() => Int, { nullable: true, description: 'Run time in milliseconds as measured by the process that ran it (so far, while running).' })
  durationMs(@Root() run: ConnectorRun): number {
    // Measured when the run ended; older rows (and running ones) from the ledger's timestamps.
    return run.durationMs ?? (run.finishedAt ?? new Date()).getTime() - run.startedAt.getTime();
  }

  @Authorized(...OPERATIONAL_READ_ROLES)
  @FieldResolver(() => RunRejectionConnection, { complexity: connectionCost, description: 'Rows the run refused, in payload order.' })
  rejections(
    @Root() run: ConnectorRun,
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: HubContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Connection<RunRejection>> {
    return nestedConnection({
      context,
      info,
      page,
      name: 'ConnectorRun.rejections',
      parentProperty: 'runId',
      parentId: run.id,
      variant: null,
      query: () => rejectionsQuery(context.dataSource),
      sort: [{ property: 'rowIndex', direction: SortDirection.ASC }],
    });
  }
}

@Resolver(() => RunRejection)
export class RunRejectionResolver {
  @Authorized(...OPERATIONAL_READ_ROLES)
  @FieldResolver(() => GraphQLJSONObject, { description: 'The row as received.' })
  raw(@Root() rejection: RunRejection): Record<string, unknown> {
    return parseStoredRaw(rejection.raw);
  }
}
