/**
 * Breaking changes between two versions of the committed SDL (issue 16, part 6). Additive changes are free; a
 * removal passes when the removed field or enum value was deprecated with a removal date that has come
 * (`@deprecated(reason: "… removal after YYYY-MM-DD")`); any other breaking change needs an entry in
 * schema/breaking-changes.json with a reason and a date.
 */
import {
  buildSchema,
  findBreakingChanges,
  findDangerousChanges,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  type BreakingChange,
  type DangerousChange,
  type GraphQLSchema,
} from 'graphql';

/** One accepted breaking change: `change` is graphql-js's description, e.g. `Task.owner was removed.`. */
export interface AllowedBreakingChange {
  change: string;
  reason: string;
  date: string;
}

export interface SchemaComparison {
  /** Breaking changes neither deprecated in time nor allowed: the check fails when there is one. */
  refused: BreakingChange[];
  /** Breaking changes accepted, each with why: `allow-list: <reason>` or `deprecated: <reason>`. */
  accepted: Array<BreakingChange & { why: string }>;
  /** Changes that may change how existing clients behave (printed as warnings). */
  dangerous: DangerousChange[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const REMOVAL_AFTER = /removal after (\d{4}-\d{2}-\d{2})/i;

/** Validates the allow-list file's content; a malformed entry is an error naming it. */
export function parseAllowList(text: string, source = 'schema/breaking-changes.json'): AllowedBreakingChange[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error(`${source}: expected a JSON array of { change, reason, date }`);
  return parsed.map((entry: unknown, index) => {
    const { change, reason, date } = (entry ?? {}) as Record<string, unknown>;
    if (typeof change !== 'string' || change.trim() === '') throw new Error(`${source}[${index}]: "change" must be the change as graphql-js describes it`);
    if (typeof reason !== 'string' || reason.trim() === '') throw new Error(`${source}[${index}]: "reason" must say why the break is accepted`);
    if (typeof date !== 'string' || !DATE.test(date) || Number.isNaN(Date.parse(date))) {
      throw new Error(`${source}[${index}]: "date" must be a date written YYYY-MM-DD`);
    }
    return { change, reason, date };
  });
}

/** The deprecation reason of what a removal names (`Type.field was removed.`, `VALUE was removed from enum type E.`). */
function deprecationOfRemoved(schema: GraphQLSchema, description: string): string | null {
  const enumValue = /^(\w+) was removed from enum type (\w+)\.$/.exec(description);
  if (enumValue) {
    const type = schema.getType(enumValue[2]);
    return isEnumType(type) ? (type.getValue(enumValue[1])?.deprecationReason ?? null) : null;
  }
  const field = /^(\w+)\.(\w+) was removed\.$/.exec(description);
  if (field) {
    const type = schema.getType(field[1]);
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      return type.getFields()[field[2]]?.deprecationReason ?? null;
    }
  }
  return null;
}

/** Compares two SDL texts; `today` (YYYY-MM-DD) decides whether a deprecation's removal date has come. */
export function compareSchemas(previousSdl: string, currentSdl: string, allowList: AllowedBreakingChange[], today: string): SchemaComparison {
  const previous = buildSchema(previousSdl);
  const current = buildSchema(currentSdl);
  const comparison: SchemaComparison = { refused: [], accepted: [], dangerous: findDangerousChanges(previous, current) };
  for (const change of findBreakingChanges(previous, current)) {
    const allowed = allowList.find((entry) => entry.change === change.description);
    const deprecation = deprecationOfRemoved(previous, change.description);
    const removalDate = deprecation ? REMOVAL_AFTER.exec(deprecation)?.[1] : undefined;
    if (allowed) {
      comparison.accepted.push({ ...change, why: `allow-list (${allowed.date}): ${allowed.reason}` });
    } else if (removalDate !== undefined && removalDate < today) {
      comparison.accepted.push({ ...change, why: `deprecated: ${deprecation}` });
    } else {
      comparison.refused.push(change);
    }
  }
  return comparison;
}
