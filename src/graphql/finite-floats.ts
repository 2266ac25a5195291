/**
 * The output boundary for numbers: a Float field whose value is not finite (a sum of stored values that
 * overflowed, a ratio over zero) answers null with an error at its path that names the field and says why,
 * instead of graphql-js's bare "Float cannot represent non numeric value: Infinity". Every measure computed from
 * many values (sums, ratios, progress) is a nullable field, so only that measure is lost, never the dashboard.
 * Validation keeps stored values within bounds whose sums stay finite; this covers values stored before those
 * bounds, or by any other path.
 */
import { defaultFieldResolver, GraphQLFloat, GraphQLNonNull, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { HubError } from '../common/errors';

/** Thrown for a non-finite number: the measure is null, the rest of the answer stands. */
export class NonFiniteValueError extends HubError {
  constructor(field: string, value: number) {
    super(
      'INTERNAL_SERVER_ERROR',
      `${field}: giá trị tính ra không hữu hạn (${value}), có thể do số liệu đã lưu quá lớn — the computed value is not finite (${value}), ` +
        'probably from stored values too large to add up; it is shown as null',
      field,
    );
  }
}

/** Wraps every Float field of the schema's object types (the schema is changed in place and returned). */
export function guardFiniteFloats(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const unwrapped = field.type instanceof GraphQLNonNull ? field.type.ofType : field.type;
      if (unwrapped !== GraphQLFloat) continue;
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      const name = `${type.name}.${field.name}`;
      field.resolve = (source, args, context, info) => {
        const value = resolve(source, args, context, info);
        if (value instanceof Promise) return value.then((resolved: unknown) => finite(name, resolved));
        return finite(name, value);
      };
    }
  }
  return schema;
}

function finite(field: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new NonFiniteValueError(field, value);
  return value;
}
