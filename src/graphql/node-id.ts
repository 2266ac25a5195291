import { Field, ID, InterfaceType } from 'type-graphql';
import { badInput } from '../common/errors';

/**
 * Global object identification (the Relay server specification): every entity has an opaque `id` that encodes
 * its type and its database key, unique across the whole schema (a connector and a run with the same database
 * number have different ids; the 2024 and 2025 units sharing a code too, as their keys differ). Clients must treat
 * it as opaque; its form (base64url of `Type:key`) may change.
 */
@InterfaceType({
  description: 'An object with a global id, readable again with `node(id:)` (Relay global object identification).',
  resolveType: (value: object) => nodeTypeOf(value),
})
export abstract class Node {
  @Field(() => ID, { description: 'Opaque global id: unique across every type; pass it to `node(id:)` or to the arguments that take this type\'s id.' })
  id: string;
}

const TAGGED_TYPES = new WeakMap<object, string>();

/** Records which GraphQL type an object read by `node`/`nodes` is (plain rows carry no class). */
export function tagNodeType<T extends object>(value: T, typeName: string): T {
  TAGGED_TYPES.set(value, typeName);
  return value;
}

/** The GraphQL type name of a node: its tag, else its entity class (entity classes carry their GraphQL type's name). */
export function nodeTypeOf(value: object): string | undefined {
  return TAGGED_TYPES.get(value) ?? (value.constructor !== Object ? value.constructor.name : undefined);
}

export function toGlobalId(typeName: string, key: number): string {
  if (!Number.isSafeInteger(key)) throw new Error(`${typeName} has no database key to build its id from (got ${String(key)})`);
  return Buffer.from(`${typeName}:${key}`, 'utf8').toString('base64url');
}

/** The type and key a global id names, or null when the text is not a global id of this API. */
export function fromGlobalId(id: string): { typeName: string; key: number } | null {
  if (id.length > 200 || !/^[A-Za-z0-9_-]+$/.test(id)) return null;
  const match = /^([A-Z][A-Za-z]{1,40}):([1-9]\d{0,14})$/.exec(Buffer.from(id, 'base64url').toString('utf8'));
  return match ? { typeName: match[1], key: Number(match[2]) } : null;
}

/**
 * The database key an `id` argument names: the global id of an object of `typeName` (what every field `id`
 * answers), or, for the types that had numeric ids before global ids, its database number (`databaseId`), which
 * scripts and the push URL `/ingest/<id>` keep using. Anything else, a global id of another type included, is
 * BAD_USER_INPUT naming the argument.
 */
export function parseNodeId(id: string, typeName: string, argument = 'id', what = typeName): number {
  if (/^\d{1,9}$/.test(id)) return Number(id);
  const parsed = fromGlobalId(id);
  if (!parsed) throw badInput(argument, `"${id}" is not ${article(what)} id`);
  if (parsed.typeName !== typeName) throw badInput(argument, `"${id}" is the id of a ${parsed.typeName}, not of ${article(what)}`);
  return parsed.key;
}

function article(what: string): string {
  return /^[aeiou]/i.test(what) ? `an ${what}` : `a ${what}`;
}
