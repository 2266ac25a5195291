/**
 * `npm run schema:emit` writes schema/schema.graphql (the API as clients see it) and schema/subgraph.graphql (the
 * same schema as `_service { sdl }` serves it to Apollo Federation, with its `@key`s); `npm run schema:check`
 * fails when either is stale.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { printSubgraphSdl } from './federation';
import { buildHubSchema, printHubSchema } from './schema';

export const SCHEMA_FILE = path.join(__dirname, '..', '..', 'schema', 'schema.graphql');
export const SUBGRAPH_FILE = path.join(__dirname, '..', '..', 'schema', 'subgraph.graphql');

async function main(): Promise<void> {
  const schema = await buildHubSchema();
  const files = [
    { file: SCHEMA_FILE, printed: printHubSchema(schema) },
    { file: SUBGRAPH_FILE, printed: printSubgraphSdl(schema) },
  ];
  if (process.argv.includes('--check')) {
    const stale = files.filter(({ file, printed }) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '') !== printed);
    if (stale.length > 0) {
      console.error(`${stale.map(({ file }) => path.relative(process.cwd(), file)).join(' and ')} stale: run npm run schema:emit and commit the result`);
      process.exit(1);
    }
    console.log('schema/schema.graphql and schema/subgraph.graphql are current');
    return;
  }
  fs.mkdirSync(path.dirname(SCHEMA_FILE), { recursive: true });
  for (const { file, printed } of files) {
    fs.writeFileSync(file, printed);
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
