/**
 * A JSON Schema (draft 2020-12) of a kind's configuration schema, for people and programs writing a connector's
 * `config` (the `connectorKinds { configSchema }` field). It describes the shape — fields, types, required fields,
 * defaults, enumerations, bounds, patterns — of the zod schema the hub validates with; checks written as code
 * (`refine`, e.g. "a plain SELECT only") are not expressible in it and are still made by the hub.
 */
import type { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

interface Def {
  typeName?: string;
  [key: string]: unknown;
}

const defOf = (schema: z.ZodTypeAny): Def => (schema as unknown as { _def: Def })._def;

/** Whether a property may be left out (optional, or with a default). */
function omittable(schema: z.ZodTypeAny): boolean {
  const def = defOf(schema);
  if (def.typeName === 'ZodOptional' || def.typeName === 'ZodDefault') return true;
  if (def.typeName === 'ZodEffects') return omittable(def.schema as z.ZodTypeAny);
  return false;
}

type Check = { kind: string; value?: unknown; inclusive?: boolean; regex?: RegExp };

function stringSchema(checks: Check[]): JsonSchema {
  const result: JsonSchema = { type: 'string' };
  for (const check of checks) {
    if (check.kind === 'min') result.minLength = check.value;
    else if (check.kind === 'max') result.maxLength = check.value;
    else if (check.kind === 'length') result.minLength = result.maxLength = check.value;
    else if (check.kind === 'regex' && check.regex) result.pattern = check.regex.source;
    else if (check.kind === 'url') result.format = 'uri';
    else if (check.kind === 'email') result.format = 'email';
    else if (check.kind === 'uuid') result.format = 'uuid';
  }
  return result;
}

function numberSchema(checks: Check[]): JsonSchema {
  const result: JsonSchema = { type: checks.some((check) => check.kind === 'int') ? 'integer' : 'number' };
  for (const check of checks) {
    if (check.kind === 'min') result[check.inclusive === false ? 'exclusiveMinimum' : 'minimum'] = check.value;
    else if (check.kind === 'max') result[check.inclusive === false ? 'exclusiveMaximum' : 'maximum'] = check.value;
    else if (check.kind === 'multipleOf') result.multipleOf = check.value;
  }
  return result;
}

function objectSchema(def: Def): JsonSchema {
  const shape = (def.shape as () => Record<string, z.ZodTypeAny>)();
  const properties = Object.fromEntries(Object.entries(shape).map(([name, field]) => [name, convert(field)]));
  const required = Object.keys(shape).filter((name) => !omittable(shape[name]));
  const catchall = def.catchall as z.ZodTypeAny | undefined;
  const extra = catchall && defOf(catchall).typeName !== 'ZodNever' ? convert(catchall) : def.unknownKeys === 'passthrough' ? true : false;
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}), additionalProperties: extra };
}

/** Lazy schemas being expanded (JavaScript is single-threaded and convert() synchronous). */
const expanding = new Set<Def>();

function convert(schema: z.ZodTypeAny): JsonSchema {
  const def = defOf(schema);
  const described = schema.description ? { description: schema.description } : {};
  const inner = (key: string) => convert(def[key] as z.ZodTypeAny);
  switch (def.typeName) {
    case 'ZodObject':
      return { ...objectSchema(def), ...described };
    case 'ZodString':
      return { ...stringSchema(def.checks as Check[]), ...described };
    case 'ZodNumber':
      return { ...numberSchema(def.checks as Check[]), ...described };
    case 'ZodBoolean':
      return { type: 'boolean', ...described };
    case 'ZodNull':
      return { type: 'null', ...described };
    case 'ZodLiteral':
      return { const: def.value, ...described };
    case 'ZodEnum':
      return { type: 'string', enum: [...(def.values as string[])], ...described };
    case 'ZodNativeEnum':
      return { enum: Object.values(def.values as object), ...described };
    case 'ZodArray': {
      const bounds = { ...(def.minLength ? { minItems: (def.minLength as { value: number }).value } : {}), ...(def.maxLength ? { maxItems: (def.maxLength as { value: number }).value } : {}) };
      return { type: 'array', items: inner('type'), ...bounds, ...described };
    }
    case 'ZodTuple':
      return { type: 'array', prefixItems: (def.items as z.ZodTypeAny[]).map(convert), ...described };
    case 'ZodRecord':
      return { type: 'object', additionalProperties: inner('valueType'), ...described };
    case 'ZodUnion':
    case 'ZodDiscriminatedUnion':
      return { anyOf: [...(def.options as Iterable<z.ZodTypeAny>)].map(convert), ...described };
    case 'ZodIntersection':
      return { allOf: [inner('left'), inner('right')], ...described };
    case 'ZodOptional':
      return { ...inner('innerType'), ...described };
    case 'ZodNullable':
      return { anyOf: [inner('innerType'), { type: 'null' }], ...described };
    case 'ZodDefault':
      return { ...inner('innerType'), default: (def.defaultValue as () => unknown)(), ...described };
    case 'ZodCatch':
    case 'ZodReadonly':
      return { ...inner('innerType'), ...described };
    case 'ZodEffects':
      return { ...inner('schema'), ...described };
    case 'ZodBranded':
      return { ...inner('type'), ...described };
    case 'ZodPipeline':
      return { ...inner('in'), ...described };
    case 'ZodLazy': {
      // A recursive schema (a JSON value in itself) stops at its second appearance: any value there.
      if (expanding.has(def)) return { ...described };
      expanding.add(def);
      try {
        return { ...convert((def.getter as () => z.ZodTypeAny)()), ...described };
      } finally {
        expanding.delete(def);
      }
    }
    default:
      // any, unknown, and kinds JSON Schema cannot say more about: any value.
      return { ...described };
  }
}

/** The JSON Schema of a zod (v3) schema. */
export function toJsonSchema(schema: z.ZodTypeAny): JsonSchema {
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...convert(schema) };
}
