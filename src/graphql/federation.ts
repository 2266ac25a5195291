/**
 * Apollo Federation 2 subgraph: `_service { sdl }` and `_entities(representations:)`, so a national or provincial
 * supergraph can compose the hub and extend its catalogue types. The fields are ordinary type-graphql resolvers
 * of the hub's own schema, so authentication, limits, cost, deadlines and the finite-float guard apply to them as
 * to every other field; the SDL served is that schema printed with its `@key`s (see printSubgraphSdl).
 *
 * Keys are the codes other systems already share with the province: pilot model, metric, task and department
 * codes, and for administrative units the GSO code with the edition it belongs to (`code validFrom`), because GSO
 * codes are reused when units merge. Global `id`s are opaque to every other subgraph, so no supergraph could
 * join on them.
 */
import { GraphQLScalarType, Kind, lexicographicSortSchema, parse, print, printSchema, valueFromASTUntyped, type DefinitionNode, type ConstDirectiveNode, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import type { ComplexityEstimator } from 'graphql-query-complexity';
import { Arg, Authorized, createUnionType, Ctx, Field, Info, ObjectType, Query, Resolver } from 'type-graphql';
import { badInput } from '../common/errors';
import { CalendarDateScalar } from '../common/scalars';
import { PilotModel } from '../modules/catalogue/pilot-model.entity';
import { Task } from '../modules/catalogue/task.entity';
import { Department } from '../modules/departments/department.entity';
import { Metric } from '../modules/metrics/metric.entity';
import { AdministrativeUnit } from '../modules/units/administrative-unit.entity';
import { scopeOf, type EntityClass, type HubContext } from './context';
import { nodeTypeOf } from './node-id';
import { visibleNode } from './node.resolver';

/** The Federation specification the served SDL links to. */
export const FEDERATION_SPEC = 'https://specs.apollo.dev/federation/v2.3';

/** The most representations one `_entities` call takes (a gateway sends one call per subgraph and step). */
export const MAX_REPRESENTATIONS = 500;

type Keyed = { id: number; code: string };

interface EntityType {
  entity: EntityClass<Keyed>;
  /** Key fields after `code`. */
  also: string[];
}

/** The entity types of the subgraph, by GraphQL type name: each is keyed by `code` plus `also`. */
export const ENTITY_TYPES: Record<string, EntityType> = {
  AdministrativeUnit: { entity: AdministrativeUnit, also: ['validFrom'] },
  Department: { entity: Department, also: [] },
  Metric: { entity: Metric, also: [] },
  PilotModel: { entity: PilotModel, also: [] },
  Task: { entity: Task, also: [] },
};

const keyFields = (type: EntityType): string[] => ['code', ...type.also];

/** How each key field arrives in a representation: as its scalar serializes it, checked the same way. */
const KEY_PARSERS: Record<string, (value: unknown) => string> = {
  code: (value) => {
    if (typeof value !== 'string' || value.length === 0 || value.length > 100) throw new Error(`must be a non-empty string, got ${JSON.stringify(value)}`);
    return value;
  },
  validFrom: (value) => CalendarDateScalar.parseValue(value) as string,
};

const AnyScalar = new GraphQLScalarType({
  name: '_Any',
  description: 'A representation of an entity for `_entities` (Apollo Federation): `__typename` and the fields of one of its `@key`s.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables) as unknown,
});

@ObjectType('_Service', { description: 'This subgraph as Apollo Federation composes it.' })
class FederationService {
  @Field({ description: 'The subgraph SDL: the schema with its `@key` directives and the `@link` to Federation 2, without the federation fields themselves.' })
  sdl: string;
}

const EntityUnion = createUnionType({
  name: '_Entity',
  description: 'Every type another subgraph can join on (Apollo Federation entities): the types with a `@key`.',
  types: () => [AdministrativeUnit, Department, Metric, PilotModel, Task] as const,
  resolveType: (value: object) => nodeTypeOf(value),
});

/** Cost of `_entities`: its selection once per representation. */
const representationsCost: ComplexityEstimator = ({ args, childComplexity }) =>
  1 + childComplexity * (Array.isArray(args.representations) ? args.representations.length : 1);

/** The type and key values a representation names; BAD_USER_INPUT naming its index when it names none. */
function parseRepresentation(representation: unknown, argument: string): { typeName: string; type: EntityType; key: string[] } {
  const record = typeof representation === 'object' && representation !== null && !Array.isArray(representation) ? (representation as Record<string, unknown>) : null;
  const typeName = record?.__typename;
  if (!record || typeof typeName !== 'string') throw badInput(argument, 'a representation is an object with `__typename` and the key fields of its type');
  if (!Object.hasOwn(ENTITY_TYPES, typeName)) throw badInput(argument, `"${typeName}" is not an entity of this subgraph (entities: ${Object.keys(ENTITY_TYPES).join(', ')})`);
  const type = ENTITY_TYPES[typeName];
  const key = keyFields(type).map((field) => {
    try {
      return KEY_PARSERS[field](record[field]);
    } catch (error) {
      throw badInput(argument, `${typeName} is joined on "${keyFields(type).join(' ')}": ${field} ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  return { typeName, type, key };
}

const SDL_BY_SCHEMA = new WeakMap<GraphQLSchema, string>();

@Resolver()
export class FederationResolver {
  @Authorized()
  @Query(() => FederationService, { name: '_service', description: 'This subgraph for Apollo Federation: its SDL with `@key` directives, for composing a supergraph.' })
  service(@Info() info: GraphQLResolveInfo): FederationService {
    let sdl = SDL_BY_SCHEMA.get(info.schema);
    if (sdl === undefined) {
      sdl = printSubgraphSdl(info.schema);
      SDL_BY_SCHEMA.set(info.schema, sdl);
    }
    return { sdl };
  }

  @Authorized()
  @Query(() => [EntityUnion], {
    name: '_entities',
    nullable: 'items',
    complexity: representationsCost,
    description:
      `The entities these representations name, in the same order (at most ${MAX_REPRESENTATIONS}): what a federation gateway asks for to join ` +
      'this subgraph\'s fields onto another\'s. Null for one that does not exist; the caller\'s scope applies as on the type\'s own lookups.',
  })
  async entities(
    @Arg('representations', () => [AnyScalar], { description: 'Each `{ __typename, …key fields }`, e.g. `{ __typename: "PilotModel", code: "M03" }`.' }) representations: unknown[],
    @Ctx() context: HubContext,
  ): Promise<Array<object | null | Error>> {
    if (representations.length > MAX_REPRESENTATIONS) throw badInput('representations', `at most ${MAX_REPRESENTATIONS} at once (got ${representations.length})`);
    const scope = scopeOf(context);
    // Every representation is loaded in the same tick: one statement per entity type, however many there are.
    return Promise.all(
      representations.map(async (representation, index) => {
        try {
          const { typeName, type, key } = parseRepresentation(representation, `representations[${index}]`);
          return await visibleNode(scope, typeName, await scope.loaders.entityByKey(type.entity, type.also as never).load(key));
        } catch (error) {
          return error instanceof Error ? error : new Error(String(error));
        }
      }),
    );
  }
}

const FEDERATION_FIELDS = new Set(['_service', '_entities']);
const FEDERATION_TYPES = new Set([AnyScalar.name, '_Service', '_Entity']);

function keyDirective(fields: string): ConstDirectiveNode {
  return {
    kind: Kind.DIRECTIVE,
    name: { kind: Kind.NAME, value: 'key' },
    arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'fields' }, value: { kind: Kind.STRING, value: fields } }],
  };
}

/**
 * The SDL `_service` answers: the schema as schema/schema.graphql prints it, with `@key(fields: …)` on each
 * entity type and `extend schema @link(…)` naming Federation 2, minus `_service`, `_entities` and their types
 * (a subgraph's SDL leaves them to the composition), and minus the subscriptions and the types only they return: a
 * supergraph's router does not carry them (clients subscribe on the hub's own /graphql WebSocket). Written to
 * schema/subgraph.graphql by `npm run schema:emit`.
 */
/** The subscription root and the types only subscriptions return (src/live/live.resolver.ts). */
const SUBSCRIPTION_TYPES = new Set(['Subscription', 'ObservationsChange', 'MetricObservationsChange', 'FreshnessChange']);

export function printSubgraphSdl(schema: GraphQLSchema): string {
  const document = parse(printSchema(lexicographicSortSchema(schema)));
  const queryType = schema.getQueryType()?.name;
  const definitions = document.definitions
    .filter((definition) => !('name' in definition && definition.name && (FEDERATION_TYPES.has(definition.name.value) || SUBSCRIPTION_TYPES.has(definition.name.value))))
    .map((definition): DefinitionNode => {
      if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION) return definition;
      if (definition.name.value === queryType) return { ...definition, fields: definition.fields?.filter((field) => !FEDERATION_FIELDS.has(field.name.value)) };
      const entity = Object.hasOwn(ENTITY_TYPES, definition.name.value) ? ENTITY_TYPES[definition.name.value] : undefined;
      return entity ? { ...definition, directives: [...(definition.directives ?? []), keyDirective(keyFields(entity).join(' '))] } : definition;
    });
  return `extend schema @link(url: "${FEDERATION_SPEC}", import: ["@key"])\n\n${print({ ...document, definitions })}\n`;
}
