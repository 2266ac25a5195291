/**
 * A dashboard built with Relay: relay-compiler (the real compiler, its Linux binary) compiles every example and a
 * `@refetchable` fragment against the committed schema. Relay needs the Node interface, `node(id:)` and ids that
 * are unique across types; it refuses a fragment on a type that is not a Node.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const EXAMPLES = path.join(ROOT, 'schema', 'examples');
const COMPILER = path.join(ROOT, 'node_modules', 'relay-compiler', 'cli.js');

/** A Relay project in a folder of its own: one module per example (Relay names operations after their module). */
function relayProject(extraModules: Record<string, string>): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-relay-'));
  fs.mkdirSync(path.join(folder, 'src'));
  fs.writeFileSync(path.join(folder, 'relay.config.json'), JSON.stringify({ src: './src', schema: path.join(ROOT, 'schema', 'schema.graphql'), language: 'typescript' }));
  for (const file of fs.readdirSync(EXAMPLES).filter((name) => name.endsWith('.graphql'))) {
    const name = path.basename(file, '.graphql');
    const text = fs.readFileSync(path.join(EXAMPLES, file), 'utf8').replace(new RegExp(`^query ${name}\\b`, 'm'), `query ${name}Query`);
    fs.writeFileSync(path.join(folder, 'src', `${name}.ts`), `import { graphql } from 'relay-runtime';\nexport const query = graphql\`\n${text}\`;\n`);
  }
  for (const [name, text] of Object.entries(extraModules)) fs.writeFileSync(path.join(folder, 'src', `${name}.ts`), `import { graphql } from 'relay-runtime';\nexport const fragment = graphql\`\n${text}\`;\n`);
  return folder;
}

function compile(folder: string) {
  return spawnSync(process.execPath, [COMPILER], { cwd: folder, encoding: 'utf8', timeout: 120_000 });
}

describe('relay-compiler', () => {
  const folders: string[] = [];
  afterAll(() => {
    for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
  });

  it('compiles every example and a @refetchable fragment, whose refetch query reads node(id:)', () => {
    const folder = relayProject({
      PilotModelCard: 'fragment PilotModelCard_pilotModel on PilotModel @refetchable(queryName: "PilotModelCardRefetchQuery") { code status deadline leadDepartment { code } }',
      UnitCard: 'fragment UnitCard_unit on AdministrativeUnit @refetchable(queryName: "UnitCardRefetchQuery") { code name validFrom }',
    });
    folders.push(folder);
    const result = compile(folder);
    expect({ status: result.status, output: result.status === 0 ? '' : `${result.stdout}${result.stderr}` }).toEqual({ status: 0, output: '' });
    const generated = path.join(folder, 'src', '__generated__');
    const artifacts = fs.readdirSync(generated);
    for (const name of ['PilotModelsQuery.graphql.ts', 'UnitsQuery.graphql.ts', 'PilotModelCardRefetchQuery.graphql.ts', 'UnitCardRefetchQuery.graphql.ts']) expect(artifacts).toContain(name);
    const refetch = fs.readFileSync(path.join(generated, 'PilotModelCardRefetchQuery.graphql.ts'), 'utf8');
    expect(refetch).toMatch(/node\(id: \$id\)/);
  });

  it('refuses a @refetchable fragment on a type without an id (so the check above can fail)', () => {
    const folder = relayProject({ ScoreCard: 'fragment ScoreCard_score on StatusCounts @refetchable(queryName: "ScoreCardRefetchQuery") { total }' });
    folders.push(folder);
    const result = compile(folder);
    expect(result.status).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toMatch(/refetchable/i);
  });
});
