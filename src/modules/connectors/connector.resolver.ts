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
  ConnectorUpdateInput,
  ImportSummary,
  ObservationInput,
  PushResult,
  RunRejectionConnection,
  SkippedFireConnection,
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
  async connector(@Arg('id', () => ID) id: string, @Ctx() context: HubContext): Promise<Connector> {
    return service(context).requireConnector(parseConnectorId(id), context.principal);
  }

  @Authorized(...OPERATIONAL_READ_ROLES)
  @Query(() => ConnectorConnection, { complexity: connectionCost, description: 'Connectors (not deleted), by name.' })
  connectors(
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: HubContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => ConnectorFilter, { nullable: true }) filter?: ConnectorFilter,
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
  async connectorRun(@Arg('id', () => ID) id: string, @Ctx() context: HubContext): Promise<ConnectorRun> {
    return requireVisibleRun(scopeOf(context), parseNodeId(id, 'ConnectorRun', 'id', 'connector run'));
  }

  @FieldResolver(() => Department)
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
  @FieldResolver(() => [String], { description: 'Names of the secrets set; their values are write-only.' })
  async secretNames(@Root() connector: Connector, @Ctx() context: HubContext): Promise<string[]> {
    const secrets = await context.loaders.connectorSecrets.load(connector.id);
    return secrets.map((secret) => secret.name);
  }

  @Authorized(...OPERATIONAL_READ_ROLES)
  @FieldResolver(() => ConnectorHealth)
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
    @Arg('status', () => RunStatus, { nullable: true }) status?: RunStatus | null,
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
    @Arg('reason', () => FireSkipReason, { nullable: true }) reason?: FireSkipReason | null,
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
  registerConnector(@Arg('input', () => ConnectorInput) input: ConnectorInput, @Ctx() context: HubContext): Promise<Connector> {
    return service(context).register(input, context.principal);
  }

  @Authorized(...CONNECTOR_WRITE_ROLES)
  @Mutation(() => Connector, { description: 'Changes a connector; a changed mapping becomes a new mapping version.' })
  updateConnector(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => ConnectorUpdateInput) input: ConnectorUpdateInput,
    @Ctx() context: HubContext,
  ): Promise<Connector> {
    return service(context).update(parseConnectorId(id), input, context.principal);
  }

  @Authorized(...CONNECTOR_WRITE_ROLES)
  @Mutation(() => Connector)
  setConnectorEnabled(@Arg('id', () => ID) id: string, @Arg('enabled') enabled: boolean, @Ctx() context: HubContext): Promise<Connector> {
    return service(context).setEnabled(parseConnectorId(id), enabled, context.principal);
  }

  @Authorized(...CONNECTOR_WRITE_ROLES)
  @Mutation(() => Boolean, { description: 'Removes a connector from use; its run ledger and the values it brought stay.' })
  deleteConnector(@Arg('id', () => ID) id: string, @Ctx() context: HubContext): Promise<boolean> {
    return service(context).delete(parseConnectorId(id), context.principal);
  }

  @Authorized(...CONNECTOR_WRITE_ROLES)
  @Mutation(() => ConnectorTestResult, { description: 'Checks that the source can be reached and lists what it offers.' })
  testConnector(@Arg('id', () => ID) id: string, @Ctx() context: HubContext): Promise<ConnectorTestResult> {
    return service(context).test(parseConnectorId(id), context.principal);
  }

  @Authorized(...CONNECTOR_WRITE_ROLES)
  @Mutation(() => ConnectorRun, {
    description: 'Runs a connector now: its routine window, or with from/to a backfill of those days. Returns at once unless wait is true.',
  })
  runConnector(
    @Arg('id', () => ID) id: string,
    @Ctx() context: HubContext,
    @Arg('from', () => CalendarDateScalar, { nullable: true }) from?: string | null,
    @Arg('to', () => CalendarDateScalar, { nullable: true }) to?: string | null,
    @Arg('wait', () => Boolean, { nullable: true, defaultValue: false }) wait?: boolean,
  ): Promise<ConnectorRun> {
    return service(context).run(parseConnectorId(id), from, to, context.principal, wait ?? false, context.requestId);
  }

  @Authorized(...CONNECTOR_WRITE_ROLES)
  @Mutation(() => PushResult, { description: 'Sends rows through a push connector; returns the import summary of the run.' })
  submitObservations(
    @Arg('connectorId', () => ID) connectorId: string,
    @Arg('rows', () => [ObservationInput]) rows: ObservationInput[],
    @Ctx() context: HubContext,
  ): Promise<PushResult> {
    return service(context).push(parseConnectorId(connectorId, 'connectorId'), rows, context.principal, context.requestId);
  }
}

@Resolver(() => ConnectorRun)
export class ConnectorRunResolver {
  @FieldResolver(() => Connector)
  async connector(@Root() run: ConnectorRun, @Ctx() context: HubContext): Promise<Connector> {
    return context.loaders.related(Connector, run.connectorId);
  }

  @FieldResolver(() => ImportSummary)
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
