import { createHash } from 'node:crypto';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { buildHubSchema } from '../../src/graphql/schema';
import { dataOf } from '../helpers/api';
import { liveClient } from '../helpers/subscriptions';
import { startTestHub, type TestHub } from '../helpers/test-hub';

/**
 * Bad-input fuzzing against a real hub: SQL-injection and hostile strings in every string argument of every
 * query and mutation field (and of the fields below them), wrong variable types, random and mangled
 * documents, deep nesting, huge and non-UTF-8 bodies. Nothing may answer 5xx or INTERNAL_SERVER_ERROR, the
 * hub must keep answering, and no table may change. FUZZ_SEED=<n> replays a run.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_130);

/** mulberry32: a small seeded generator, so a failing run can be replayed with its seed. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE_STRINGS = [
  "' OR 1=1 --",
  "' OR '1'='1",
  '"; DROP TABLE observation; --',
  "'); DELETE FROM metric; --",
  "1' UNION SELECT name, sql FROM sqlite_master --",
  "1 AND SLEEP(5)",
  '%',
  '_',
  '\\',
  "\\'; --",
  '\u0000',
  'null\u0000byte',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '{"$gt": ""}',
  '',
  ' ',
  '\ud800',
  '𝕏 Nghệ An 🇻🇳 ',
  'x'.repeat(70_000),
];

interface Outcome {
  status: number;
  text: string;
}

/** About 1,800 requests in the first test: a few seconds on a quiet machine, a minute when two cores are shared. */
const FUZZ_TIMEOUT_MS = 180_000;

describe(`bad-input fuzzing (seed ${SEED})`, () => {
  let hub: TestHub;
  let schema: GraphQLSchema;
  let before: Map<string, string>;
  let auditBefore = 0;
  let requests = 0;
  let connectorId = '';
  const random = generator(SEED);
  /** A root field that reaches each object type with arguments of its own. */
  const carriers: Record<string, string> = {
    Program: 'program(code: "DA06")',
    TaskGroup: 'taskGroup(code: "TG01")',
    Task: 'task(code: "T01.01")',
    PilotModel: 'pilotModel(code: "M03")',
    Metric: 'metric(code: "KCB_BIOMETRIC_VISITS")',
    Department: 'department(code: "SO_YT")',
    AdministrativeUnit: 'administrativeUnit(code: "412")',
  };
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)];

  beforeAll(async () => {
    console.log(`fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED})`);
    hub = await startTestHub({ environment: { SCHEDULE_REFRESH_SECONDS: '3600', RUN_HEARTBEAT_SECONDS: '600' } });
    schema = await buildHubSchema();
    // A connector, so id arguments have something an injection could reach.
    const { registerConnector } = await dataOf<{ registerConnector: { id: string } }>(
      hub,
      'mutation { registerConnector(input: { name: "fuzz target", kind: "push", department: "SO_YT", config: {} }) { id } }',
    );
    // …and a run with a rejected row, for the fields of runs.
    const pushed = await dataOf<{ submitObservations: { run: { id: string } } }>(
      hub,
      `mutation { submitObservations(connectorId: "${registerConnector.id}", rows: [{ metric: "NO_SUCH_METRIC", unit: "412", period: "2024-01", value: 1 }]) { run { id } } }`,
    );
    connectorId = registerConnector.id;
    carriers.Connector = `connector(id: "${registerConnector.id}")`;
    carriers.ConnectorRun = `connectorRun(id: "${pushed.submitObservations.run.id}")`;
    before = await tableChecksums(hub);
    auditBefore = Number(((await hub.dataSource.query('SELECT MAX(id) AS id FROM audit_event')) as Array<{ id: number | null }>)[0].id ?? 0);
  });
  afterAll(async () => {
    await hub?.close();
  });

  /** Sends a raw body and checks the answer: never 5xx, every error with a code other than INTERNAL_SERVER_ERROR. */
  async function send(body: string | Buffer, label: string, headers: Record<string, string> = {}): Promise<Outcome> {
    requests += 1;
    const response = await fetch(hub.hub.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...hub.headers, ...headers },
      body,
    });
    const text = await response.text();
    const context = `${label}\n${String(body).slice(0, 300)}\n→ ${response.status} ${text.slice(0, 300)}`;
    expect({ context, status: response.status < 500 }).toEqual({ context, status: true });
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`not JSON: ${context}`);
    }
    const results = Array.isArray(parsed) ? parsed : [parsed];
    for (const result of results as Array<{ errors?: Array<{ extensions?: { code?: string; stacktrace?: unknown } }> }>) {
      for (const error of result.errors ?? []) {
        expect({ context, code: typeof error.extensions?.code === 'string' && error.extensions.code !== 'INTERNAL_SERVER_ERROR' }).toEqual({ context, code: true });
        expect(error.extensions?.stacktrace).toBeUndefined();
      }
    }
    if (requests % 50 === 0) await expectAlive();
    return { status: response.status, text };
  }

  const operation = (query: string, variables?: unknown, label = query) => send(JSON.stringify({ query, variables }), label);

  async function expectAlive(): Promise<void> {
    const health = await fetch(hub.hub.url.replace(/\/graphql$/, '/healthz'), { headers: hub.headers });
    expect(health.status).toBe(200);
  }

  it('hostile strings in every string argument of every root field, as variables and as literals', async () => {
    let fieldNumber = 0;
    for (const rootType of [schema.getQueryType()!, schema.getMutationType()!]) {
      for (const field of Object.values(rootType.getFields())) {
        if (!field.args.some((argument) => hasStringPosition(argument.type))) continue;
        const keyword = rootType === schema.getMutationType() ? 'mutation' : 'query';
        for (const [index, text] of HOSTILE_STRINGS.entries()) {
          // Each string goes in as variables for half of the fields and as literals for the other half.
          const mode = (index + fieldNumber) % 2 === 0 ? 'variables' : 'literals';
          const call = fieldCall(field, text, mode);
          await operation(`${keyword}${call.declarations} { ${call.selection} }`, call.variables, `${field.name} ← ${JSON.stringify(text.slice(0, 40))} (${mode})`);
        }
        fieldNumber += 1;
      }
    }
  }, FUZZ_TIMEOUT_MS);

  it('hostile strings in every string argument of the fields below the root', async () => {
    const reached: string[] = [];
    for (const type of Object.values(schema.getTypeMap()).filter(isObjectType) as GraphQLObjectType[]) {
      if (type.name.startsWith('__') || type === schema.getQueryType() || type === schema.getMutationType() || type === schema.getSubscriptionType()) continue;
      for (const field of Object.values(type.getFields())) {
        if (!field.args.some((argument) => hasStringPosition(argument.type))) continue;
        const carrier = carriers[type.name];
        if (!carrier) throw new Error(`no way to reach ${type.name}.${field.name} in the fuzz test`);
        reached.push(`${type.name}.${field.name}`);
        for (const text of HOSTILE_STRINGS) {
          const call = fieldCall(field, text, 'variables');
          await operation(`query${call.declarations} { ${carrier} { ${call.selection} } }`, call.variables, `${type.name}.${field.name} ← ${JSON.stringify(text.slice(0, 40))}`);
        }
      }
    }
    expect(reached.length).toBeGreaterThanOrEqual(10);
  }, FUZZ_TIMEOUT_MS);

  it('hostile strings in every string argument of every subscription, over the WebSocket', async () => {
    const live = liveClient(hub.hub.url);
    let subscriptions = 0;
    try {
      for (const field of Object.values(schema.getSubscriptionType()!.getFields())) {
        if (!field.args.some((argument) => hasStringPosition(argument.type))) continue;
        for (const text of HOSTILE_STRINGS) {
          const call = fieldCall(field, text, 'variables');
          const received = live.subscribe(`subscription${call.declarations} { ${call.selection} }`, call.variables);
          subscriptions += 1;
          // None of these strings names a connector, metric, unit or department: each is refused at once, with a
          // reason and never as an internal error; the connection stays open for the next one.
          const ended = await waitForEnd(received, `${field.name} ← ${JSON.stringify(text.slice(0, 40))}`);
          const errors = ended.results.flatMap((result) => result.errors ?? []);
          const failure = ended.ended?.error as Array<{ message: string; extensions?: { code?: string } }> | undefined;
          const reasons = [...errors, ...(Array.isArray(failure) ? failure : [])];
          expect(reasons.length).toBeGreaterThan(0);
          for (const reason of reasons) {
            expect(reason.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
            expect(reason.message).not.toMatch(/\bat \S+ \(|SQLITE_|ER_[A-Z_]+|QueryFailedError/);
          }
          expect(live.closed()).toBeNull();
        }
      }
    } finally {
      await live.dispose();
    }
    expect(subscriptions).toBeGreaterThanOrEqual(HOSTILE_STRINGS.length * 2);
  }, FUZZ_TIMEOUT_MS);

  it('wrong variable types for every argument of every root field', async () => {
    const wrongValues = [42, 1.5, true, 'text', null, [], {}, [['nested']], { a: { b: { c: 1 } } }, 2 ** 53, -1, '9'.repeat(400), 'NaN', '2024-13-45'];
    for (const rootType of [schema.getQueryType()!, schema.getMutationType()!]) {
      const keyword = rootType === schema.getMutationType() ? 'mutation' : 'query';
      for (const field of Object.values(rootType.getFields())) {
        if (field.args.length === 0) continue;
        for (let round = 0; round < 4; round += 1) {
          const declarations = field.args.map((argument, index) => `$v${index}: ${String(argument.type)}`).join(', ');
          const call = field.args.map((argument, index) => `${argument.name}: $v${index}`).join(', ');
          const variables = Object.fromEntries(field.args.map((_argument, index) => [`v${index}`, pick(wrongValues)]));
          const response = await operation(`${keyword}(${declarations}) { ${field.name}(${call}) ${selectionOf(field)} }`, variables, `${field.name} wrong types`);
          // Wrong types are refused as a whole request, or (when they happened to fit) answered normally.
          expect([200, 400]).toContain(response.status);
        }
      }
    }
  });

  it('random token soup, mangled valid documents and deep nesting', async () => {
    const names = ['program', 'metrics', 'edges', 'node', 'code', 'observations', 'first', 'filter', 'query', 'mutation', 'fragment', 'on', '__typename', 'updateTask', 'input', 'note'];
    const punctuation = ['{', '}', '(', ')', ':', '...', '$', '@', '[', ']', '=', '!', '|', '&', ','];
    const literals = ['"x"', '1', '-1.5e3', 'true', 'null', '"""block"""', '"\\u00"', '"unterminated'];
    for (let index = 0; index < 200; index += 1) {
      const length = 1 + Math.floor(random() * 40);
      const tokens = Array.from({ length }, () => pick([...names, ...punctuation, ...literals]));
      await operation(tokens.join(pick([' ', '', '\n'])), undefined, 'token soup');
    }
    const valid = [
      '{ program(code: "DA06") { code taskGroups { code tasks(first: 3) { totalCount edges { node { code } } } } } }',
      'query Q($n: Int) { metrics(first: $n) { edges { node { code observations(first: 2) { edges { node { value } } } } } } }',
      'mutation { updateTaskStatus(code: "NONE", status: COMPLETED, note: "x") { code } }',
    ];
    for (let index = 0; index < 200; index += 1) {
      const characters = [...pick(valid)];
      for (let edit = 0; edit < 1 + Math.floor(random() * 3); edit += 1) {
        const at = Math.floor(random() * characters.length);
        const choice = random();
        if (choice < 0.4) characters.splice(at, 1);
        else if (choice < 0.8) characters.splice(at, 0, pick(['{', '}', '(', ')', '"', '$', '@', ':', '\\', '#']));
        else characters[at] = pick(['\u0000', '\uFFFF', 'é', '\t', '\u202E']);
      }
      await operation(characters.join(''), { n: pick([1, -1, 501, 'x', null]) }, 'mangled document');
    }
    for (const depth of [50, 500, 5000, 50_000, 150_000]) {
      await operation(`{ ${'program(code: "DA06") { taskGroups { '.repeat(depth)}code${' } }'.repeat(depth)} }`, undefined, `nested selections ×${depth}`);
      await operation(`{ program(code: ${'['.repeat(depth)}"DA06"${']'.repeat(depth)}) { code } }`, undefined, `nested list literal ×${depth}`);
      // Written by hand: the test's own JSON.stringify would overflow its stack on the deepest one.
      const query = JSON.stringify('mutation($c: JSONObject!) { registerConnector(input: { name: "n", kind: "push", department: "NONE", config: $c }) { id } }');
      await send(`{"query": ${query}, "variables": {"c": ${'{"a":'.repeat(depth)}"x"${'}'.repeat(depth)}}}`, `nested JSON variable ×${depth}`);
    }
  });

  it('malformed bodies: huge, not UTF-8, not JSON, not an operation', async () => {
    const huge = await send(JSON.stringify({ query: '{ program(code: $c) { code } }', variables: { c: 'x'.repeat(1_100_000) } }), 'body over 1 MiB');
    expect(huge.status).toBe(413);
    const valid = Buffer.from(JSON.stringify({ query: '{ program(code: "DA06") { code name } }' }));
    for (let index = 0; index < 60; index += 1) {
      const bytes = Buffer.from(valid);
      for (let flip = 0; flip < 1 + Math.floor(random() * 4); flip += 1) bytes[Math.floor(random() * bytes.length)] = 0x80 + Math.floor(random() * 0x80);
      await send(bytes, 'random high bytes');
    }
    const bodies = [
      '', 'null', '[]', '{}', '[null]', '[1,2]', '{"query": 5}', '{"query": null}', '{"query": ["{ __typename }"]}', '{"query": "{ __typename }", "variables": "x"}',
      '{"query": "{ __typename }", "variables": [1]}', '{"query": "{ __typename }", "operationName": 7}', '{"query": "query A { __typename } query B { __typename }"}',
      '{"query": "{ __typename }", "operationName": "Missing"}', '{"query": "{ __typename }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "00"}}}',
      '{"extensions": {"persistedQuery": {"version": 2}}}', '{"query": "subscription { x }"}', '{"query": "{ __typename }"' + ' '.repeat(10) + ', "query": 1}',
      '{"__proto__": {"query": "{ __typename }"}}', '{"query": "{ __typename }", "variables": {"__proto__": {"x": 1}}}',
    ];
    for (const body of bodies) await send(body, 'odd body');
    for (const contentType of ['application/json; charset=utf-16', 'application/json; charset=latin1', 'application/graphql', 'application/xml']) {
      await send(valid, `content type ${contentType}`, { 'content-type': contentType });
    }
  });

  it('the push endpoint answers unreadable bodies with 4xx JSON errors', async () => {
    const url = hub.hub.url.replace(/\/graphql$/, `/ingest/${connectorId}`);
    const cases: Array<[string, string | Buffer, number, string]> = [
      ['application/json', '{"rows": [', 400, 'BAD_USER_INPUT'],
      ['application/json; charset=koi8-zz', '[]', 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['text/csv; charset=x-unknown', 'metric,unit,period,value\n', 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['application/json', Buffer.from([0x5b, 0xff, 0xfe, 0x5d]), 400, 'BAD_USER_INPUT'],
    ];
    for (const [contentType, body, status, code] of cases) {
      const response = await fetch(url, { method: 'POST', headers: { ...hub.headers, 'content-type': contentType }, body });
      expect({ contentType, status: response.status }).toEqual({ contentType, status });
      expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe(code);
    }
  });

  it('leaves every table unchanged and keeps serving', async () => {
    await expectAlive();
    expect(await dataOf(hub, '{ program(code: "DA06") { pilotModelCounts { total } } }')).toEqual({ program: { pilotModelCounts: { total: 38 } } });
    const after = await tableChecksums(hub);
    expect([...after.entries()]).toEqual([...before.entries()]);
    // The audit log holds one record per refused mutation attempt, none of them a success, each readable.
    const audited = (await hub.dataSource.query(`SELECT outcome, details FROM audit_event WHERE id > ${auditBefore}`)) as Array<{ outcome: string; details: string | null }>;
    expect(audited.length).toBeGreaterThan(0);
    expect(audited.filter((row) => row.outcome === 'SUCCESS')).toEqual([]);
    for (const row of audited) if (row.details !== null) expect(() => JSON.parse(row.details!) as unknown).not.toThrow();
    console.log(`fuzz seed ${SEED}: ${requests} requests, ${after.size} tables unchanged`);
  });

  it('stores hostile text exactly as sent (trimmed), or refuses it as bad input', async () => {
    const counts = async () => (await hub.dataSource.query('SELECT (SELECT COUNT(*) FROM observation) AS observations, (SELECT COUNT(*) FROM metric) AS metrics')) as unknown[];
    const countsBefore = JSON.stringify(await counts());
    for (const [index, text] of HOSTILE_STRINGS.entries()) {
      const update = await hub.graphql<{ updateTask: { history: Array<{ field: string; toValue: string; note: string | null }> } }>(
        'mutation($input: AccountabilityUpdate!) { updateTask(code: "T01.02", input: $input) { history(field: RESPONSIBLE_PERSON) { field toValue note } } }',
        { input: { responsiblePerson: `Role ${index}`, note: text } },
      );
      if (update.errors) {
        expect(update.errors.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      } else {
        const last = update.data!.updateTask.history.at(-1)!;
        expect({ index, last }).toEqual({ index, last: { field: 'RESPONSIBLE_PERSON', toValue: `Role ${index}`, note: text.trim() || null } });
      }
      const named = await hub.graphql<{ registerConnector: { id: string; name: string } }>(
        'mutation($name: String!) { registerConnector(input: { name: $name, kind: "push", department: "SO_YT", config: {} }) { id name } }',
        { name: text },
      );
      if (named.errors) {
        expect(named.errors.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      } else {
        const stored = await dataOf<{ connector: { name: string } }>(hub, `{ connector(id: "${named.data!.registerConnector.id}") { name } }`);
        expect({ index, name: stored.connector.name }).toEqual({ index, name: text.trim() });
      }
    }
    expect(JSON.stringify(await counts())).toBe(countsBefore);
  });
});

/** Row count and a hash of the rows of every table. */
/**
 * Records that every request may legitimately add: the audit log (one row per attempted mutation, checked on its
 * own) and the last-use time of the caller's key (written at most once a minute).
 */
const REQUEST_LEDGER_TABLES = new Set(['audit_event']);
const REQUEST_LEDGER_COLUMNS: Record<string, string[]> = { api_key: ['lastUsedAt'] };

async function tableChecksums(hub: TestHub): Promise<Map<string, string>> {
  const tables = [...new Set(hub.dataSource.entityMetadatas.map((metadata) => metadata.tableName))].filter((table) => !REQUEST_LEDGER_TABLES.has(table)).sort();
  const sums = new Map<string, string>();
  for (const table of tables) {
    const quoted = hub.dataSource.driver.escape(table);
    const rows = ((await hub.dataSource.query(`SELECT * FROM ${quoted}`)) as Array<Record<string, unknown>>).map((row) => {
      const kept = { ...row };
      for (const column of REQUEST_LEDGER_COLUMNS[table] ?? []) delete kept[column];
      return kept;
    });
    const lines = rows.map((row) => JSON.stringify(row)).sort();
    sums.set(table, `${rows.length} rows ${createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16)}`);
  }
  return sums;
}

function hasStringPosition(type: GraphQLInputType, seen = new Set<string>()): boolean {
  const named = getNamedType(type);
  if (isScalarType(named)) return named.name !== 'Int' && named.name !== 'Float' && named.name !== 'Boolean';
  if (isInputObjectType(named)) {
    if (seen.has(named.name)) return false;
    seen.add(named.name);
    return Object.values(named.getFields()).some((field) => hasStringPosition(field.type, seen));
  }
  return false;
}

/** A value of an input type with `text` in every string position (and in every key and value of JSON objects). */
function valueFor(type: GraphQLInputType, text: string): unknown {
  if (isNonNullType(type)) return valueFor(type.ofType, text);
  if (isListType(type)) return [valueFor(type.ofType, text)];
  if (isEnumType(type)) return type.getValues()[0].name;
  if (isInputObjectType(type)) return Object.fromEntries(Object.values(type.getFields()).map((field) => [field.name, valueFor(field.type, text)]));
  switch (type.name) {
    case 'Int':
      return 1;
    case 'Float':
      return 1.5;
    case 'Boolean':
      return false;
    case 'JSONObject':
      return { [text]: text, url: text, nested: { list: [text] } };
    default:
      return text;
  }
}

/** The same value as a GraphQL literal. */
function literalFor(type: GraphQLInputType, value: unknown): string {
  if (isNonNullType(type)) return literalFor(type.ofType, value);
  if (isListType(type)) return `[${(value as unknown[]).map((item) => literalFor(type.ofType, item)).join(', ')}]`;
  if (isEnumType(type)) return String(value);
  if (isInputObjectType(type)) {
    const fields = type.getFields();
    return `{ ${Object.entries(value as Record<string, unknown>).map(([name, item]) => `${name}: ${literalFor(fields[name].type, item)}`).join(', ')} }`;
  }
  return jsonLiteral(value);
}

function jsonLiteral(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(jsonLiteral).join(', ')}]`;
  if (value && typeof value === 'object') {
    // Object keys of a JSON literal must be GraphQL names: the hostile text stays in the values.
    return `{ ${Object.entries(value).map(([key, item], index) => `${/^[_A-Za-z][_0-9A-Za-z]*$/.test(key) ? key : `k${index}`}: ${jsonLiteral(item)}`).join(', ')} }`;
  }
  return JSON.stringify(value);
}

function selectionOf(field: GraphQLField<unknown, unknown>): string {
  return isObjectType(getNamedType(field.type)) ? '{ __typename }' : '';
}

/** A call of `field` with `text` in every string position, passed as variables or written as literals. */
function fieldCall(field: GraphQLField<unknown, unknown>, text: string, mode: 'variables' | 'literals') {
  const values = field.args.map((argument: GraphQLArgument) => valueFor(argument.type, text));
  if (mode === 'variables') {
    const declarations = `(${field.args.map((argument, index) => `$v${index}: ${String(argument.type)}`).join(', ')})`;
    const call = field.args.map((argument, index) => `${argument.name}: $v${index}`).join(', ');
    return {
      declarations,
      selection: `${field.name}(${call}) ${selectionOf(field)}`,
      variables: Object.fromEntries(values.map((value, index) => [`v${index}`, value])),
    };
  }
  const call = field.args.map((argument, index) => `${argument.name}: ${literalFor(argument.type, values[index])}`).join(', ');
  return { declarations: '', selection: `${field.name}(${call}) ${selectionOf(field)}`, variables: undefined };
}

/** Waits (up to 10 s) until a subscription has an error result or has ended. */
async function waitForEnd<T extends { results: Array<{ errors?: unknown[] }>; ended: unknown }>(received: T, what: string): Promise<T> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 10))) {
    if (received.ended || received.results.some((result) => (result.errors ?? []).length > 0)) return received;
  }
  throw new Error(`the subscription ${what} was neither refused nor ended within 10 s`);
}
