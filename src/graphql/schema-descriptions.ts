/**
 * Schema elements without a description: every type, field, argument, input field and enum value a dashboard
 * developer reads in GraphiQL's documentation explorer must say what it is (issue 16, part 6).
 */
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isScalarType,
  isSpecifiedDirective,
  isSpecifiedScalarType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLSchema,
} from 'graphql';

const described = (description: string | null | undefined): boolean => (description ?? '').trim() !== '';

/**
 * Paths of the undescribed elements, e.g. `Query.tasks(after:)`, `TaskStatus.DONE`, `TaskFilter.code`. Built-in
 * scalars and introspection types are graphql-js's and left out; every other type is checked, scalars included.
 */
export function undescribedSchemaElements(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  const checkArgs = (owner: string, args: readonly GraphQLArgument[]): void => {
    for (const arg of args) {
      if (!described(arg.description)) missing.push(`${owner}(${arg.name}:)`);
    }
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    if (!described(type.description)) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        const path = `${type.name}.${field.name}`;
        if (!described(field.description)) missing.push(path);
        checkArgs(path, field.args);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (!described(field.description)) missing.push(`${type.name}.${field.name}`);
      }
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) {
        if (!described(value.description)) missing.push(`${type.name}.${value.name}`);
      }
    } else if (!isUnionType(type) && !isScalarType(type)) {
      missing.push(`${String(type)} (unknown kind)`);
    }
  }
  for (const directive of schema.getDirectives()) {
    if (isSpecifiedDirective(directive)) continue;
    if (!described(directive.description)) missing.push(`@${directive.name}`);
    checkArgs(`@${directive.name}`, directive.args);
  }
  return missing.sort();
}
