import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Query, Resolver, Root, type ClassType } from 'type-graphql';
import type { ComplexityEstimator } from 'graphql-query-complexity';
import { badInput, type HubError } from '../common/errors';
import type { RequestScope } from '../common/request-scope';
import { ADMIN_ONLY, canAccessDepartment, forbidden, OPERATIONAL_READ_ROLES } from '../security/access';
import { ApiKey } from '../security/api-key.entity';
import { AuditEvent } from '../security/audit-event.entity';
import { Role } from '../security/principal';
import { Program } from '../modules/catalogue/program.entity';
import { TaskGroup } from '../modules/catalogue/task-group.entity';
import { Task } from '../modules/catalogue/task.entity';
import { PilotModel } from '../modules/catalogue/pilot-model.entity';
import { Department } from '../modules/departments/department.entity';
import { AdministrativeUnit } from '../modules/units/administrative-unit.entity';
import { Metric } from '../modules/metrics/metric.entity';
import { Observation } from '../modules/observations/observation.entity';
import { ObservationRevision } from '../modules/observations/observation-revision.entity';
import { Connector } from '../modules/connectors/connector.entity';
import { ConnectorRun, SkippedFire } from '../modules/connectors/connector-run.entity';
import { OutboundHost } from '../modules/outbound/outbound-host.entity';
import { scopeOf, type EntityClass, type HubContext } from './context';
import { fromGlobalId, Node, tagNodeType, toGlobalId } from './node-id';

/** Whether the caller sees a node: yes, as if it did not exist (null, like an unknown id), or an error (a role refusal). */
type Visibility = 'visible' | 'hidden' | HubError;
type NodeRow = { id: number };

interface NodeType<T extends NodeRow> {
  entity: EntityClass<T> & ClassType<T>;
  /** Description of a `databaseId` field, for the types whose database number clients used before global ids. */
  databaseId?: string;
  /** How the caller's role and departments apply, exactly as on the type's other reads. */
  visibility: (scope: RequestScope, row: T) => Promise<Visibility> | Visibility;
}

const everyone = (): Visibility => 'visible';

function roles(scope: RequestScope, allowed: readonly Role[], what: string): Visibility {
  return allowed.includes(scope.principal.role) ? 'visible' : forbidden(`${what} may be read by ${allowed.join(', ')} callers only`);
}

/** Department-owned operational data (connectors, runs, revisions): operational read roles, within the caller's departments. */
async function operational(scope: RequestScope, departmentId: () => Promise<number>, what: string): Promise<Visibility> {
  const byRole = roles(scope, OPERATIONAL_READ_ROLES, what);
  if (byRole !== 'visible') return byRole;
  return canAccessDepartment(scope.principal, await departmentId()) ? 'visible' : 'hidden';
}

const metricDepartment = async (scope: RequestScope, metricId: number) => (await scope.loaders.related(Metric, metricId)).departmentId;

/** Every type that implements Node, by GraphQL type name. */
const NODE_TYPES: Record<string, NodeType<NodeRow>> = {};

function register<T extends NodeRow>(name: string, type: NodeType<T>): void {
  NODE_TYPES[name] = type as unknown as NodeType<NodeRow>;
}

register('Program', { entity: Program, visibility: everyone });
register('TaskGroup', { entity: TaskGroup, visibility: everyone });
register('Task', { entity: Task, visibility: everyone });
register('PilotModel', { entity: PilotModel, visibility: everyone });
register('Department', { entity: Department, visibility: everyone });
register('AdministrativeUnit', { entity: AdministrativeUnit, visibility: everyone });
register('Metric', { entity: Metric, visibility: everyone });
register('Observation', {
  entity: Observation,
  visibility: async (scope, row) => (canAccessDepartment(scope.principal, await metricDepartment(scope, row.metricId)) ? 'visible' : 'hidden'),
});
register('ObservationRevision', {
  entity: ObservationRevision,
  visibility: (scope, row) =>
    operational(scope, async () => metricDepartment(scope, (await scope.loaders.entityById(Observation).load(row.observationId))!.metricId), 'observation revisions'),
});
register('Connector', { entity: Connector, databaseId: 'The connector\'s database number: the id of scripts written before global ids, and of the push URL `/ingest/<databaseId>`.', visibility: (scope, row) => operational(scope, async () => row.departmentId, 'connectors') });
register('ConnectorRun', {
  entity: ConnectorRun,
  databaseId: 'The run\'s database number (as `runId` fields give it); `connectorRun(id:)` accepts it as well as the global id.',
  visibility: (scope, row) => operational(scope, async () => (await scope.loaders.related(Connector, row.connectorId)).departmentId, 'connector runs'),
});
register('SkippedFire', {
  entity: SkippedFire,
  databaseId: 'The entry\'s database number.',
  visibility: (scope, row) => operational(scope, async () => (await scope.loaders.related(Connector, row.connectorId)).departmentId, 'skipped fires'),
});
register('ApiKey', {
  entity: ApiKey,
  databaseId: 'The key\'s database number (recorded in audit as `key:<databaseId>`).',
  // Administrators, and every caller for its own key (as `viewer { apiKey }`).
  visibility: (scope, row) => (scope.principal.apiKeyId === row.id ? 'visible' : roles(scope, ADMIN_ONLY, 'API keys')),
});
register('AuditEvent', { entity: AuditEvent, databaseId: 'The event\'s database number: events are numbered in the order they were stored.', visibility: (scope) => roles(scope, ADMIN_ONLY, 'audit events') });
register('OutboundHost', { entity: OutboundHost, databaseId: 'The entry\'s database number.', visibility: (scope) => roles(scope, ADMIN_ONLY, 'outbound hosts') });

/** The most ids one `nodes` call takes. */
export const MAX_NODE_IDS = 100;

/** Cost of `nodes`: its selection once per id asked for. */
const nodesCost: ComplexityEstimator = ({ args, childComplexity }) => 1 + childComplexity * (Array.isArray(args.ids) ? args.ids.length : 1);

/** The node an id names, tagged with its type; null when it does not exist or is outside the caller's departments. */
async function readNode(scope: RequestScope, id: string, argument: string): Promise<object | null> {
  const parsed = fromGlobalId(id);
  const type = parsed && Object.hasOwn(NODE_TYPES, parsed.typeName) ? NODE_TYPES[parsed.typeName] : undefined;
  if (!parsed || !type) throw badInput(argument, `"${id}" is not an id of this API`);
  return visibleNode(scope, parsed.typeName, await scope.loaders.entityById(type.entity).load(parsed.key));
}

/**
 * A row of a node type as the caller may see it, tagged with its type: null when there is none or it is outside
 * the caller's departments, a role refusal thrown. The one place the per-type visibility applies (`node`,
 * `nodes`, and the federation's `_entities`).
 */
export async function visibleNode(scope: RequestScope, typeName: string, row: NodeRow | null): Promise<object | null> {
  if (!row) return null;
  const visibility = await NODE_TYPES[typeName].visibility(scope, row);
  if (visibility === 'hidden') return null;
  if (visibility !== 'visible') throw visibility;
  return tagNodeType(row, typeName);
}

@Resolver()
export class NodeResolver {
  @Authorized()
  @Query(() => Node, { nullable: true, description: 'The object with this global id, or null when there is none or it is outside the caller\'s departments.' })
  node(@Arg('id', () => ID, { description: 'A global id, as any `id` field answers it.' }) id: string, @Ctx() context: HubContext): Promise<object | null> {
    return readNode(scopeOf(context), id, 'id');
  }

  @Authorized()
  @Query(() => [Node], {
    nullable: 'items',
    complexity: nodesCost,
    description: `The objects with these global ids, in the same order (at most ${MAX_NODE_IDS}); null for each id that names none the caller may see.`,
  })
  async nodes(@Arg('ids', () => [ID], { description: 'Global ids, as `id` fields answer them.' }) ids: string[], @Ctx() context: HubContext): Promise<Array<object | null | Error>> {
    if (ids.length > MAX_NODE_IDS) throw badInput('ids', `at most ${MAX_NODE_IDS} ids at once (got ${ids.length})`);
    const scope = scopeOf(context);
    // A refused item is an error at its own index (graphql-js turns a returned Error into null plus that error).
    return Promise.all(ids.map((id, index) => readNode(scope, id, `ids[${index}]`).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))));
  }
}

const ID_DESCRIPTION = 'Opaque global id: unique across every type; pass it to `node(id:)` or to the arguments that take this type\'s id.';

/** The `id` field of one node type: its global id, from the row's database key. */
function idResolver(typeName: string, entity: ClassType<NodeRow>): ClassType<object> {
  @Resolver(() => entity)
  class IdResolver {
    @FieldResolver(() => ID, { description: ID_DESCRIPTION })
    id(@Root() row: NodeRow): string {
      return toGlobalId(typeName, row.id);
    }
  }
  Object.defineProperty(IdResolver, 'name', { value: `${typeName}IdResolver` });
  return IdResolver;
}

/** The `id` and `databaseId` fields of a node type whose database number clients used before global ids. */
function idAndDatabaseIdResolver(typeName: string, entity: ClassType<NodeRow>, description: string): ClassType<object> {
  @Resolver(() => entity)
  class IdResolver {
    @FieldResolver(() => ID, { description: ID_DESCRIPTION })
    id(@Root() row: NodeRow): string {
      return toGlobalId(typeName, row.id);
    }

    @FieldResolver(() => Int, { description })
    databaseId(@Root() row: NodeRow): number {
      return row.id;
    }
  }
  Object.defineProperty(IdResolver, 'name', { value: `${typeName}IdResolver` });
  return IdResolver;
}

/** The node resolvers and the `id` resolvers of every node type, for the schema. */
export const nodeResolvers = [
  NodeResolver,
  ...Object.entries(NODE_TYPES).map(([name, type]) => (type.databaseId ? idAndDatabaseIdResolver(name, type.entity, type.databaseId) : idResolver(name, type.entity))),
] as const;
