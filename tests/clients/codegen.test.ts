/**
 * A dashboard typed with GraphQL Code Generator: TypeScript types generated from the committed schema and the
 * examples (typescript-operations, which since version 5 emits the schema types an operation uses) type-check under `strict`, and code using them gets
 * the schema's types (an id is a string, a nullable field may be null) — a mistyped use is a compile error.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');
/** The hub's custom scalars as they travel in JSON. */
const SCALARS = { Date: 'string', DateTimeISO: 'string', Period: 'string', JSON: 'unknown', JSONObject: 'Record<string, unknown>', _Any: 'unknown' };

function diagnosticsOf(files: string[]): string[] {
  const program = ts.createProgram(files, { strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 });
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
}

describe('GraphQL Code Generator', () => {
  let folder: string;
  let generated: string;

  beforeAll(async () => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-codegen-'));
    generated = path.join(folder, 'graphql.ts');
    // The command line, as a dashboard project runs it (`graphql-codegen --config codegen.json`).
    const config = path.join(folder, 'codegen.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        schema: path.join(ROOT, 'schema', 'schema.graphql'),
        documents: path.join(ROOT, 'schema', 'examples', '*.graphql'),
        generates: { [generated]: { plugins: ['typescript-operations'], config: { strictScalars: true, scalars: SCALARS } } },
      }),
    );
    const cli = path.join(ROOT, 'node_modules', '@graphql-codegen', 'cli', 'esm', 'bin.js');
    const result = spawnSync(process.execPath, [cli, '--config', config], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect({ status: result.status, output: result.status === 0 ? '' : `${result.stdout}${result.stderr}` }).toEqual({ status: 0, output: '' });
  }, 120_000);
  afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

  it('generates the types of every example, and they type-check with code that uses them', () => {
    const text = fs.readFileSync(generated, 'utf8');
    for (const name of ['PilotModelsQuery', 'ProgramOverviewQuery', 'DashboardSeriesQuery', 'UnitsQuery']) expect(text).toContain(`export type ${name} =`);
    const usage = path.join(folder, 'usage.ts');
    fs.writeFileSync(
      usage,
      `import type { PilotModelsQuery } from './graphql';
type Model = PilotModelsQuery['pilotModels']['edges'][number]['node'];
export function label(model: Model): string {
  const id: string = model.id;
  const latest: number | null | undefined = model.metrics[0]?.latest?.value;
  return \`\${id} \${model.code} \${model.leadDepartment.code} \${latest ?? '—'}\`;
}
`,
    );
    expect(diagnosticsOf([generated, usage])).toEqual([]);
  });

  it('makes a mistyped use a compile error (so the check above can fail)', () => {
    const wrong = path.join(folder, 'wrong.ts');
    fs.writeFileSync(wrong, `import type { PilotModelsQuery } from './graphql';\nexport const id: number = ({} as PilotModelsQuery).pilotModels.edges[0].node.id;\n`);
    expect(diagnosticsOf([generated, wrong]).join('\n')).toMatch(/Type 'string' is not assignable to type 'number'/);
  });
});
