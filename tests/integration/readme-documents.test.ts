/**
 * The README is true to the letter: every GraphQL document it shows (```graphql blocks, and the operations its
 * curl examples post) parses, validates against the schema and runs — as ADMIN, in the order a reader meets
 * them, against a real seeded hub — without a GraphQL error. The documentation is README.md, then every
 * docs/*.md by name, so sections moved between them are still read.
 *
 * Read, never adapted, with three documented substitutions:
 * - the feed simulator demo mode serves at 127.0.0.1:4100 is this test's own simulator (same feeds, another port);
 * - `http://localhost:4000` in curl examples is the test hub;
 * - variables (`$connectorId` …) are read from earlier answers as the prose around them says: {@link VARIABLES}.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Kind, parse, print, validate, type DefinitionNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { startFeedSimulator, type FeedSimulator } from '../../src/feeds/simulator';
import { buildHubSchema } from '../../src/graphql/schema';
import { startTestHub, type TestHub } from '../helpers/test-hub';

const ROOT = path.join(__dirname, '..', '..');

/** README.md first, then docs/*.md sorted by name. */
function documentationFiles(): string[] {
  const docs = fs.existsSync(path.join(ROOT, 'docs')) ? fs.readdirSync(path.join(ROOT, 'docs')).filter((file) => file.endsWith('.md')).sort() : [];
  return ['README.md', ...docs.map((file) => path.join('docs', file))];
}

interface Block {
  file: string;
  /** 1-based line of the block's first line of content. */
  line: number;
  language: string;
  lines: string[];
}

/** The fenced code blocks of a Markdown text (fences may be indented, as in lists). */
function fencedBlocks(file: string): Block[] {
  const blocks: Block[] = [];
  let open: Block | null = null;
  fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n').forEach((text, index) => {
    const fence = /^\s*```\s*([\w-]*)\s*$/.exec(text);
    if (open) {
      if (fence && fence[1] === '') {
        blocks.push(open);
        open = null;
      } else open.lines.push(text);
    } else if (fence) open = { file, line: index + 2, language: fence[1], lines: [] };
  });
  return blocks;
}

/** One thing a reader would send: a GraphQL operation, or a curl example's request. */
type Step =
  | { kind: 'operation'; where: string; name: string; document: string; error?: undefined }
  | { kind: 'operation'; where: string; name: string; document?: undefined; error: string }
  | { kind: 'request'; where: string; method: 'GET' | 'POST'; url: string; body?: string; answer?: string };

/** The operations of a ```graphql block, each alone in a document with the block's fragments. */
function operationsOf(block: Block): Step[] {
  const where = `${block.file}:${block.line}`;
  let definitions: readonly DefinitionNode[];
  try {
    definitions = parse(block.lines.join('\n')).definitions;
  } catch (error) {
    return [{ kind: 'operation', where, name: '(does not parse)', error: String(error) }];
  }
  const fragments = definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION);
  return definitions
    .filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION)
    .map((operation) => ({
      kind: 'operation',
      where: `${block.file}:${block.line + (operation.loc?.startToken.line ?? 1) - 1}`,
      name: operation.name?.value ?? `(anonymous ${operation.operation})`,
      document: print({ kind: Kind.DOCUMENT, definitions: [operation, ...fragments] }),
    }));
}

/**
 * The requests of the curl commands of a ```bash block that call the hub (`http://localhost:4000`): a GET, or a
 * POST of the JSON body given with `-d '…'`. A comment line `# {…}` right after a command is its answer. Bodies
 * sent with `--data-binary` (CSV pushes to a connector number) are left out.
 */
function requestsOf(block: Block): Step[] {
  const steps: Step[] = [];
  for (let index = 0; index < block.lines.length; index++) {
    const first = index;
    let command = block.lines[index];
    while (command.endsWith('\\') && index + 1 < block.lines.length) command = `${command.slice(0, -1)} ${block.lines[++index]}`;
    if (!/^\s*curl\s/.test(command) || command.includes('--data-binary')) continue;
    const url = /https?:\/\/localhost:4000[^\s'"]*/.exec(command)?.[0];
    if (!url) continue;
    const body = /\s(?:-d|--data)\s+'([^']*)'/.exec(command)?.[1];
    const answer = /^#\s*(\{.*\})\s*$/.exec(block.lines[index + 1] ?? '')?.[1];
    steps.push({ kind: 'request', where: `${block.file}:${block.line + first}`, method: body === undefined ? 'GET' : 'POST', url, body, answer });
  }
  return steps;
}

function stepsOf(files: string[]): Step[] {
  return files.flatMap((file) =>
    fencedBlocks(file).flatMap((block) => (block.language === 'graphql' ? operationsOf(block) : block.language === 'bash' ? requestsOf(block) : [])),
  );
}

/**
 * The README's variables and the answers they come from, as its prose says: `field.path` reads the latest answer
 * of that root field (e.g. `$connectorId` is the `id` the last `registerConnector` answered). Keep it small: a
 * document that needs more than these belongs in a test of its own.
 */
const VARIABLES: Record<string, { from: string; as?: (value: unknown) => unknown }> = {
  connectorId: { from: 'registerConnector.id' },
  version: { from: 'registerConnector.version' },
  targetId: { from: 'registerConnector.databaseId', as: String },
  hostId: { from: 'addOutboundHost.id' },
};

/** The README's feed simulator (demo mode's default port). */
const README_FEEDS = 'http://127.0.0.1:4100';
/** The README's hub. */
const README_HUB = 'http://localhost:4000';

const STEPS = stepsOf(documentationFiles());
const label = (step: Step) => (step.kind === 'operation' ? `${step.where} ${step.name}` : `${step.where} curl ${step.method} ${step.url.replace(README_HUB, '')}`);

describe('the GraphQL documents of the README and docs/*.md', () => {
  let hub: TestHub;
  let feeds: FeedSimulator;
  let schema: GraphQLSchema;
  /** The latest answer of each root field, for VARIABLES. */
  const answers: Record<string, unknown> = {};

  beforeAll(async () => {
    feeds = await startFeedSimulator({ port: 0 });
    hub = await startTestHub({ allowServers: [feeds.url] });
    schema = await buildHubSchema();
  });
  afterAll(async () => {
    await hub?.close();
    await feeds?.close();
  });

  function variablesOf(document: string): Record<string, unknown> {
    const operation = parse(document).definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION)!;
    const variables: Record<string, unknown> = {};
    for (const { variable } of operation.variableDefinitions ?? []) {
      const name = variable.name.value;
      const source = VARIABLES[name];
      if (!source) throw new Error(`$${name} has no source in VARIABLES: say in the documentation where it comes from, and add it there`);
      const value = source.from.split('.').reduce<unknown>((object, key) => (object as Record<string, unknown> | undefined)?.[key], answers);
      if (value === undefined) throw new Error(`$${name} (${source.from}) has no value yet: no earlier document answered ${source.from}`);
      variables[name] = source.as ? source.as(value) : value;
    }
    return variables;
  }

  it('finds the documents: the examples, the connector walk-through, the curl requests', () => {
    const operations = STEPS.filter((step) => step.kind === 'operation');
    expect(operations.length).toBeGreaterThanOrEqual(20);
    for (const name of ['ProgramOverview', 'UpdateConnector', 'RegisterPushConnector', 'Push', 'ConnectorFailures', 'GrantHost']) {
      expect(operations.map((step) => step.name)).toContain(name);
    }
    expect(STEPS.filter((step) => step.kind === 'request').map((step) => step.method).sort()).toEqual(['GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'POST', 'POST']);
  });

  it.each(STEPS.map((step) => [label(step), step] as const))('%s', async (_label, step) => {
    if (step.kind === 'request') {
      const response = await fetch(step.url.replace(README_HUB, new URL(hub.hub.url).origin), {
        method: step.method,
        headers: { ...hub.headers, ...(step.body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: step.body,
      });
      const text = await response.text();
      expect({ status: response.status, text: response.status === 200 ? '' : text }).toEqual({ status: 200, text: '' });
      if (step.url.endsWith('/graphql')) expect(JSON.parse(text)).not.toHaveProperty('errors');
      if (step.answer !== undefined) expect(JSON.parse(text)).toEqual(JSON.parse(step.answer));
      return;
    }
    if (step.error !== undefined) throw new Error(step.error);
    expect(validate(schema, parse(step.document)).map((error) => error.message)).toEqual([]);
    const response = await hub.graphql(step.document.replaceAll(README_FEEDS, feeds.url), variablesOf(step.document));
    expect(response.errors).toBeUndefined();
    expect(response.status).toBe(200);
    Object.assign(answers, response.data);
  });
});
