/** Every operation of the web console (web/src/operations.ts) is valid against the hub's emitted schema. */
import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import * as operations from '../../web/src/operations';

describe('web console operations', () => {
  const schema = buildSchema(fs.readFileSync(path.join(__dirname, '..', '..', 'schema', 'schema.graphql'), 'utf8'));

  it.each(Object.entries(operations))('%s is valid against schema/schema.graphql', (_name, text) => {
    expect(validate(schema, parse(text)).map((error) => error.message)).toEqual([]);
  });
});
