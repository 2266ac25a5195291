import { buildSchema } from 'graphql';
import { buildHubSchema } from '../../src/graphql/schema';
import { undescribedSchemaElements } from '../../src/graphql/schema-descriptions';

describe('schema descriptions', () => {
  it('describes every type, field, argument, input field and enum value of the hub schema', async () => {
    const missing = undescribedSchemaElements(await buildHubSchema());
    // The list itself is the failure message: each path names the element to describe.
    expect(missing).toEqual([]);
  });

  it('names each kind of undescribed element and leaves graphql-js built-ins alone', () => {
    const schema = buildSchema(`
      """Root"""
      type Query {
        """described"""
        a(x: Int, """described""" y: Int): Kind
        b: Filter
      }
      enum Kind { ON, """described""" OFF }
      """Filter"""
      input Filter { code: String }
      interface Named { name: String }
      scalar Period
    `);
    expect(undescribedSchemaElements(schema)).toEqual([
      'Filter.code',
      'Kind',
      'Kind.ON',
      'Named',
      'Named.name',
      'Period',
      'Query.a(x:)',
      'Query.b',
    ]);
  });
});
