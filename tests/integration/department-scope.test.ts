/**
 * Department scope, derived from the schema: every field reachable from the roots must have a rule in
 * tests/helpers/scope-rules.ts, and every root query is run — with the tree of fields below it, each object type
 * expanded where first met and every departmental field at each of its occurrences — for every role, signed on with an API key and with a token (several requests each, so caches are exercised). Each answer
 * is walked with the schema: the FORBIDDEN / NOT_FOUND errors must be exactly the ones the rules predict, no
 * department-owned object outside the caller's departments may appear, and a token must get the same answers as
 * a key of the same role and departments. Role refusals are checked with one short query per refused field and
 * role, writes with one call per mutation and refused caller (nothing may change), and the report and export
 * downloads by their content.
 */
import {
  getNamedType,
  isLeafType,
  isNonNullType,
  isObjectType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { toGlobalId } from '../../src/graphql/node-id';
import { buildHubSchema } from '../../src/graphql/schema';
import { Role } from '../../src/security/principal';
import { rowCounts } from '../helpers/test-database';
import { createKey, TEST_JWT, tokenHeaders } from '../helpers/auth';
import { DEPARTMENTAL_TYPES, OPERATIONAL, OWNED_TYPES, rolesOf, SCOPE_RULES, type Rule } from '../helpers/scope-rules';
import { startTestHub, type TestHub } from '../helpers/test-hub';

const HEALTH_METRIC = 'KCB_BIOMETRIC_VISITS'; // SO_YT
const JUSTICE_METRIC = 'KIOSK_NOTARIZATIONS'; // SO_TP
const YEAR = String(new Date().getFullYear());
/** The global id of a connector that does not exist. */
const MISSING_CONNECTOR = toGlobalId('Connector', 999_999);

interface Caller {
  name: string;
  role: Role;
  /** Department codes of a DEPARTMENT_IT caller; null: every department. */
  departments: string[] | null;
  headers: Record<string, string>;
  /** The key caller whose answers a token caller must repeat. */
  sameAs?: string;
}

/** One node of a generated selection. */
interface Selection {
  field: string;
  args: string;
  /** The object type selected, null for a leaf. */
  type: GraphQLObjectType | null;
  children: Selection[];
  /** `Type.field` keys from the root to here. */
  ancestry?: string[];
  /** Whether this is (a page of) a list with a `list` rule, whose items must name their owner. */
  listing?: boolean;
}

interface Probe {
  field: string;
  args: string;
  /** Department owning what a root lookup or a root values field targets. */
  owner?: string;
}

const printSelection = (selection: Selection): string =>
  `${selection.field}${selection.args}${selection.children.length > 0 ? ` { ${selection.children.map(printSelection).join(' ')} }` : ''}`;

function fieldsOf(type: GraphQLObjectType) {
  return Object.values(type.getFields());
}

/** Every `Type.field` reachable from the query, mutation and subscription roots. */
function reachableFields(schema: GraphQLSchema): string[] {
  const seen = new Set<string>();
  const keys: string[] = [];
  const queue: GraphQLObjectType[] = [schema.getQueryType()!, schema.getMutationType()!, schema.getSubscriptionType()!];
  while (queue.length > 0) {
    const type = queue.shift()!;
    if (seen.has(type.name)) continue;
    seen.add(type.name);
    for (const field of fieldsOf(type)) {
      keys.push(`${type.name}.${field.name}`);
      const named = getNamedType(field.type);
      if (isObjectType(named)) queue.push(named);
    }
  }
  return keys;
}

/** Fields selected at every occurrence of their type (once per path): what the scope rules are about. */
const DEPARTMENTAL_KINDS = new Set(['values', 'operational', 'list', 'lookup', 'rendered']);

/**
 * The tree below a root field, breadth first: each object type is expanded where it is first met — in this
 * probe, or in an earlier one sharing `expanded` — and its other occurrences select their leaves, the fields
 * naming their owner and every field with a departmental rule (with their own trees). Connections take
 * `first: 2`; fields `skip` says the caller may not select by role are left out.
 */
function selectionFor(schema: GraphQLSchema, probe: Probe, skip: (key: string) => boolean, expanded = new Set<string>()): Selection {
  const rootField = schema.getQueryType()!.getFields()[probe.field];
  const root: Selection = { field: probe.field, args: probe.args, type: getNamedType(rootField.type) as GraphQLObjectType, children: [] };
  const rootKind = SCOPE_RULES[`Query.${probe.field}`]?.kind;
  root.listing = rootKind === 'list';
  root.ancestry = [`Query.${probe.field}`];
  /** Departmental fields, once per path; the pages of a listed list, to reach its items' owners. */
  const forced = (key: string, parent: Selection) => {
    const kind = SCOPE_RULES[key]?.kind;
    if (parent.ancestry?.includes(key)) return false;
    return DEPARTMENTAL_KINDS.has(kind) || (kind === 'structure' && parent.listing === true);
  };
  const queue: Selection[] = [root];
  while (queue.length > 0) {
    const selection = queue.shift()!;
    const type = selection.type!;
    const expand = !expanded.has(type.name);
    expanded.add(type.name);
    const ownerFields = OWNED_TYPES[type.name]?.owner.split(/[\s{}]+/)[0];
    for (const field of fieldsOf(type)) {
      const key = `${type.name}.${field.name}`;
      if (skip(key)) continue;
      if (field.args.some((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined)) continue;
      const args = field.args.some((arg) => arg.name === 'first') ? '(first: 2)' : '';
      const named = getNamedType(field.type);
      if (isLeafType(named)) {
        selection.children.push({ field: field.name, args, type: null, children: [] });
      } else if (isObjectType(named) && (expand || field.name === ownerFields || forced(key, selection))) {
        const kind = SCOPE_RULES[key]?.kind;
        const child: Selection = {
          field: field.name,
          args,
          type: named,
          children: [],
          ancestry: [...(selection.ancestry ?? []), key],
          listing: kind === 'list' || (kind === 'structure' && selection.listing === true),
        };
        selection.children.push(child);
        queue.push(child);
      }
    }
    // An object all of whose fields are objects (TaskGroupProgress met again) still needs a selection.
    if (selection.children.length === 0) selection.children.push({ field: '__typename', args: '', type: null, children: [] });
  }
  return root;
}

/** Rows of a CSV file (RFC 4180: quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[index + 1] === '\n') index += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

/** The department codes an owned object names (its `department`, its metric's or its connector's). */
function ownersOf(typeName: string, node: Record<string, unknown>): string[] {
  const code = (value: unknown) => (value as { department?: { code?: string } } | null)?.department?.code;
  switch (typeName) {
    case 'Metric':
    case 'MetricStanding':
    case 'DepartmentScorecard':
    case 'EvaluationRow':
    case 'Connector':
      return [code(node)!];
    case 'Observation':
    case 'AggregateMeasure':
      return [code(node.metric)!];
    case 'ConnectorRun':
      return [code(node.connector)!];
    case 'Series':
      return (node.metrics as unknown[]).map((metric) => code(metric)!);
    default:
      return [];
  }
}

describe('department scope, derived from the schema', () => {
  let hub: TestHub;
  let schema: GraphQLSchema;
  const callers: Caller[] = [];
  const ids = { healthPush: '', justicePush: '', healthRun: '', justiceRun: '' };
  let taskCode = '';
  let taskGroupCode = '';
  /** What was seen per rule: answered, refused, and the departments of list items, per caller. */
  const observed = new Map<string, { answered: Set<string>; refused: Set<string>; listed: Map<string, Set<string>> }>();
  const observe = (key: string) => {
    let entry = observed.get(key);
    if (!entry) {
      entry = { answered: new Set(), refused: new Set(), listed: new Map() };
      observed.set(key, entry);
    }
    return entry;
  };

  beforeAll(async () => {
    schema = await buildHubSchema();
    hub = await startTestHub({
      environment: {
        ...TEST_JWT,
        ANONYMOUS_READ: 'true',
        GRAPHQL_MAX_DEPTH: '60',
        GRAPHQL_MAX_TOKENS: '1000000',
        GRAPHQL_MAX_COST: '100000000',
      },
    });
    const register = async (name: string, department: string) =>
      ((await hub.graphql<{ registerConnector: { id: string } }>(`mutation { registerConnector(input: { name: "${name}", kind: "push", department: "${department}", config: {} }) { id } }`))
        .data!.registerConnector.id);
    ids.healthPush = await register('Health push', 'SO_YT');
    ids.justicePush = await register('Justice push', 'SO_TP');
    await register('Health second push', 'SO_YT');
    // An allowlist entry granted to a department, so its grants are read (and their refusal checked).
    const granted = await hub.graphql('mutation { addOutboundHost(input: { pattern: "data.health.example.gov.vn", departments: ["SO_YT"] }) { id } }');
    expect(granted.errors).toBeUndefined();
    const push = async (connector: string, metric: string, value: number) => {
      const response = await hub.graphql<{ submitObservations: { run: { id: string } } }>(
        `mutation($rows: [ObservationInput!]!) { submitObservations(connectorId: "${connector}", rows: $rows) { run { id } } }`,
        { rows: [{ metric, unit: '412', period: '2024-04-01', value }, { metric, unit: '413', period: '2024-04-01', value: 3 }, { metric: 'NO_SUCH_METRIC', unit: '412', period: '2024-04-01', value: 1 }] },
      );
      expect(response.errors).toBeUndefined();
      return response.data!.submitObservations.run.id;
    };
    // Values, a rejected row and (pushed twice with another value) a revision in both departments.
    await push(ids.healthPush, HEALTH_METRIC, 5);
    ids.healthRun = await push(ids.healthPush, HEALTH_METRIC, 6);
    await push(ids.justicePush, JUSTICE_METRIC, 7);
    ids.justiceRun = await push(ids.justicePush, JUSTICE_METRIC, 8);
    const plan = await hub.graphql<{ tasks: { edges: Array<{ node: { code: string } }> }; taskGroups: { edges: Array<{ node: { code: string } }> } }>(
      '{ tasks(first: 1) { edges { node { code } } } taskGroups(first: 1) { edges { node { code } } } }',
    );
    taskCode = plan.data!.tasks.edges[0].node.code;
    taskGroupCode = plan.data!.taskGroups.edges[0].node.code;

    const add = async (name: string, role: Role, departments: string[] | null) => {
      const key = await createKey(hub, role, departments ?? [], `${name} key`);
      callers.push({ name: `${name} (key)`, role, departments, headers: key.headers });
      const claims: Record<string, unknown> = { sub: `${name.toLowerCase()}.sso`, name: `${name} token`, pilothub_role: role };
      if (departments) claims.pilothub_departments = departments;
      callers.push({ name: `${name} (token)`, role, departments, headers: await tokenHeaders(claims), sameAs: `${name} (key)` });
    };
    await add('ADMIN', Role.ADMIN, null);
    await add('IT_HEALTH', Role.DEPARTMENT_IT, ['SO_YT']);
    await add('IT_JUSTICE', Role.DEPARTMENT_IT, ['SO_TP']);
    await add('ANALYST', Role.ANALYST, null);
    await add('VIEWER', Role.VIEWER, null);
    callers.push({ name: 'ANONYMOUS', role: Role.VIEWER, departments: null, headers: { authorization: '' } });
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
  });

  const probes = (): Probe[] => [
    { field: 'administrativeUnit', args: '(code: "412")' },
    { field: 'administrativeUnits', args: '(first: 2)' },
    { field: 'aggregate', args: `(metrics: ["${HEALTH_METRIC}"], groupBy: [DEPARTMENT, PERIOD], granularity: MONTH, from: "2024-03", to: "2024-04")`, owner: 'SO_YT' },
    { field: 'aggregate', args: `(metrics: ["${JUSTICE_METRIC}"], groupBy: [UNIT], level: DISTRICT, from: "2024-04", to: "2024-04")`, owner: 'SO_TP' },
    { field: 'apiKeys', args: '(first: 2)' },
    { field: 'auditEvents', args: '(first: 2)' },
    { field: 'connector', args: `(id: "${ids.healthPush}")`, owner: 'SO_YT' },
    { field: 'connector', args: `(id: "${ids.justicePush}")`, owner: 'SO_TP' },
    { field: 'connectorKinds', args: '' },
    { field: 'connectorRun', args: `(id: "${ids.healthRun}")`, owner: 'SO_YT' },
    { field: 'connectorRun', args: `(id: "${ids.justiceRun}")`, owner: 'SO_TP' },
    { field: 'connectors', args: '(first: 10)' },
    { field: 'department', args: '(code: "SO_YT")' },
    { field: 'department', args: '(code: "SO_TP")' },
    { field: 'departmentScorecards', args: '' },
    { field: 'departments', args: '(first: 2)' },
    { field: 'metric', args: `(code: "${HEALTH_METRIC}")` },
    { field: 'metric', args: `(code: "${JUSTICE_METRIC}")` },
    { field: 'metrics', args: '(first: 3)' },
    { field: 'observations', args: '(first: 6, orderBy: RECORDED_AT_DESC)' },
    { field: 'observations', args: `(filter: { metric: "${JUSTICE_METRIC}" }, first: 2)`, owner: 'SO_TP' },
    { field: 'outboundHosts', args: '' },
    { field: 'pilotModel', args: '(code: "M04")' },
    { field: 'pilotModels', args: '(first: 2)' },
    { field: 'program', args: '(code: "DA06")' },
    { field: 'programs', args: '(first: 1)' },
    { field: 'progress', args: '' },
    { field: 'progressReport', args: `(period: "${YEAR}")` },
    { field: 'evaluation', args: `(year: ${YEAR})` },
    { field: 'series', args: `(metrics: ["${HEALTH_METRIC}"], from: "2024-04", to: "2024-04", granularity: MONTH, level: DISTRICT)`, owner: 'SO_YT' },
    { field: 'series', args: `(metrics: ["${JUSTICE_METRIC}"], from: "2024-04", to: "2024-04", granularity: MONTH)`, owner: 'SO_TP' },
    { field: 'task', args: `(code: "${taskCode}")` },
    { field: 'tasks', args: '(first: 2)' },
    { field: 'taskGroup', args: `(code: "${taskGroupCode}")` },
    { field: 'taskGroups', args: '(first: 2)' },
    { field: 'viewer', args: '' },
    { field: '_service', args: '' },
  ];

  const sees = (caller: Caller, owners: readonly string[]) => caller.departments === null || owners.every((owner) => caller.departments!.includes(owner));
  const roleRefused = (caller: Caller, key: string) => {
    const roles = rolesOf(SCOPE_RULES[key] ?? { kind: 'catalogue' });
    return roles !== undefined && !roles.includes(caller.role);
  };
  const errorKey = (path: ReadonlyArray<string | number> | undefined, code: string | undefined) => `${(path ?? []).join('.')} ${code}`;

  it('every field reachable from the roots has a scope rule, and every rule names a field of the schema', () => {
    const reachable = reachableFields(schema);
    expect(reachable.filter((key) => !SCOPE_RULES[key])).toEqual([]);
    expect(Object.keys(SCOPE_RULES).filter((key) => !reachable.includes(key))).toEqual([]);
    // Every root query is run below (global-id lookups have their own test, type by type).
    const probed = new Set(probes().map((probe) => probe.field));
    const generic = Object.keys(schema.getQueryType()!.getFields()).filter((field) => SCOPE_RULES[`Query.${field}`]?.kind !== 'node');
    expect(generic.filter((field) => !probed.has(field))).toEqual([]);
  });

  it('every root query, with the fields below it, answers each caller exactly as the rules say', async () => {
    /** The outcome of each probe per caller, to compare tokens with keys. */
    const outcomes = new Map<string, unknown>();
    /** Every answer that differs from the rules, all reported at once. */
    const mismatches: unknown[] = [];
    for (const caller of callers) {
      const expanded = new Set<string>();
      for (const probe of probes()) {
        if (roleRefused(caller, `Query.${probe.field}`)) continue; // root refusals: next test
        const rootRule = SCOPE_RULES[`Query.${probe.field}`];
        const selection = selectionFor(schema, probe, (key) => roleRefused(caller, key), expanded);
        const response = await hub.graphql(`{ ${printSelection(selection)} }`, undefined, caller.headers);
        expect({ caller: caller.name, probe: probe.field, status: response.status }).toEqual({ caller: caller.name, probe: probe.field, status: 200 });
        const expected = new Set<string>();
        const failures: string[] = [];
        const rootValue = (response.data as Record<string, unknown> | null)?.[probe.field] ?? null;
        // The root: a lookup outside the caller's departments is NOT_FOUND; values and filtered lists of another department FORBIDDEN.
        const outside = probe.owner !== undefined && !sees(caller, [probe.owner]);
        const rootRefusal = outside ? (rootRule.kind === 'lookup' ? 'NOT_FOUND' : rootRule.kind === 'values' || rootRule.kind === 'list' ? 'FORBIDDEN' : undefined) : undefined;
        if (rootRefusal) {
          expected.add(errorKey([probe.field], rootRefusal));
          observe(`Query.${probe.field}`).refused.add(caller.name);
          if (rootValue !== null) failures.push(`${probe.field}: answered outside the caller's departments`);
        } else {
          observe(`Query.${probe.field}`).answered.add(caller.name);
          walk(rootValue, selection, getNamedType(schema.getQueryType()!.getFields()[probe.field].type) as GraphQLObjectType, [probe.field], [], `Query.${probe.field}`);
        }

        function walk(value: unknown, node: Selection, type: GraphQLObjectType, path: Array<string | number>, inheritedOwners: string[], listKey: string | null): void {
          if (value === null || value === undefined) return;
          if (Array.isArray(value)) {
            value.forEach((item, index) => walk(item, node, type, [...path, index], inheritedOwners, listKey));
            return;
          }
          const object = value as Record<string, unknown>;
          const owners = OWNED_TYPES[type.name] ? ownersOf(type.name, object) : inheritedOwners;
          if (DEPARTMENTAL_TYPES.has(type.name)) {
            const operational = OWNED_TYPES[type.name].operational;
            if (!sees(caller, owners) || (operational && !OPERATIONAL.includes(caller.role))) failures.push(`${path.join('.')}: ${type.name} of ${owners.join(',')} leaked`);
            if (listKey) {
              const listed = observe(listKey).listed;
              const seen = listed.get(caller.name) ?? new Set<string>();
              owners.forEach((owner) => seen.add(owner));
              listed.set(caller.name, seen);
            }
          }
          for (const child of node.children.filter((candidate) => candidate.field !== '__typename')) {
            const key = `${type.name}.${child.field}`;
            const rule: Rule = SCOPE_RULES[key];
            const childPath = [...path, child.field];
            const childValue = object[child.field];
            const refused = (rule.kind === 'values' || rule.kind === 'operational') && !sees(caller, owners);
            if (refused) {
              observe(key).refused.add(caller.name);
              expected.add(errorKey(childPath, 'FORBIDDEN'));
              if (childValue !== null) failures.push(`${childPath.join('.')}: answered outside the caller's departments`);
              continue;
            }
            observe(key).answered.add(caller.name);
            if (child.type) {
              const nextList = rule.kind === 'list' ? key : rule.kind === 'structure' ? listKey : null;
              walk(childValue, child, child.type, childPath, owners, nextList);
            }
            if (rule.kind === 'rendered' && typeof childValue === 'string') checkRendered(childValue, object, childPath);
          }
        }

        /** The report's Markdown lists the caller's metric standings only and leaves withheld figures empty. */
        function checkRendered(markdown: string, report: Record<string, unknown>, path: Array<string | number>): void {
          const section = markdown.split('## Chỉ số chậm so với mục tiêu hoặc không cập nhật')[1]?.split('\n## ')[0] ?? '';
          const departments = [...section.matchAll(/^\| [A-Z0-9_]+ \|.*$/gm)].map((line) => line[0].split('|').map((cell) => cell.trim())[5]);
          if (!departments.every((code) => sees(caller, [code]))) failures.push(`${path.join('.')}: lists metrics of ${[...new Set(departments)].join(',')}`);
          const standings = report.metricsNeedingAttention as unknown[] | undefined;
          if (standings && standings.length !== departments.length) failures.push(`${path.join('.')}: ${departments.length} metric rows, ${standings.length} standings`);
          const table = markdown.split('## Các sở, ngành')[1]?.split('\n## ')[0] ?? '';
          for (const line of table.split('\n').filter((row) => /^\| [A-Z]/.test(row) && !row.startsWith('| Mã'))) {
            const cells = line.split('|').map((cell) => cell.trim());
            const operational = OPERATIONAL.includes(caller.role) && sees(caller, [cells[1]]);
            const figures = [cells[10], cells[12], cells[13]];
            if (!operational && figures.some((cell) => cell !== '—')) failures.push(`${path.join('.')}: runs of ${cells[1]} shown`);
            if (operational && figures.slice(0, 2).some((cell) => cell === '—')) failures.push(`${path.join('.')}: runs of ${cells[1]} missing`);
          }
        }

        const actual = (response.errors ?? []).map((error) => errorKey(error.path, error.extensions?.code)).sort();
        const wanted = [...expected].sort();
        if (JSON.stringify(actual) !== JSON.stringify(wanted) || failures.length > 0) {
          mismatches.push({ caller: caller.name, probe: `${probe.field}${probe.args}`, errors: actual, expected: wanted, failures });
        }
        if (probe.field !== 'viewer') outcomes.set(`${caller.name} ${probe.field}${probe.args}`, { data: response.data, errors: actual });
      }
    }
    expect(mismatches).toEqual([]);
    // A token gets what a key of the same role and departments gets (apart from who it is and the key list).
    for (const caller of callers.filter((candidate) => candidate.sameAs)) {
      for (const probe of probes().filter((candidate) => !['viewer', 'apiKeys', 'auditEvents'].includes(candidate.field))) {
        const key = `${probe.field}${probe.args}`;
        expect({ key, outcome: outcomes.get(`${caller.name} ${key}`) }).toEqual({ key, outcome: outcomes.get(`${caller.sameAs} ${key}`) });
      }
    }
  }, 600_000);

  it('a field refused to a role answers FORBIDDEN at that field (or at the root that leads to it), for keys and tokens', async () => {
    // The path from a root probe to each role-limited field, where the unrestricted tree first meets it.
    const chains = new Map<string, { probe: Probe; chain: Selection[] }>();
    for (const probe of probes()) {
      const tree = selectionFor(schema, probe, () => false);
      const queue: Array<{ node: Selection; chain: Selection[] }> = [{ node: tree, chain: [tree] }];
      if (!chains.has(`Query.${probe.field}`)) chains.set(`Query.${probe.field}`, { probe, chain: [tree] });
      while (queue.length > 0) {
        const { node, chain } = queue.shift()!;
        for (const child of node.children) {
          const key = `${node.type!.name}.${child.field}`;
          if (rolesOf(SCOPE_RULES[key]) && !chains.has(key) && (probe.owner === undefined || probe.owner === 'SO_YT')) chains.set(key, { probe, chain: [...chain, child] });
          if (child.type) queue.push({ node: child, chain: [...chain, child] });
        }
      }
    }
    const limited = Object.keys(SCOPE_RULES).filter((key) => !key.startsWith('Mutation.') && rolesOf(SCOPE_RULES[key]) && SCOPE_RULES[key].kind !== 'write');
    expect(limited.filter((key) => !chains.has(key))).toEqual([]);
    for (const key of limited) {
      const { chain } = chains.get(key)!;
      const render = (index: number): string => {
        const node = chain[index];
        const head = `${node.field}${node.args}`;
        return node.type ? `${head} { ${index === chain.length - 1 ? '__typename' : render(index + 1)} }` : head;
      };
      const text = `{ ${render(0)} }`;
      for (const caller of callers.filter((candidate) => roleRefused(candidate, key))) {
        const response = await hub.graphql(text, undefined, caller.headers);
        const names = (path: ReadonlyArray<string | number> | undefined) => (path ?? []).filter((part): part is string => typeof part === 'string');
        const chainNames = chain.map((node) => node.field);
        const codes = [...new Set((response.errors ?? []).map((error) => error.extensions?.code))];
        const atChain = (response.errors ?? []).some((error) => {
          const parts = names(error.path);
          return parts.every((part, index) => part === chainNames[index]);
        });
        expect({ key, caller: caller.name, codes, atChain }).toEqual({ key, caller: caller.name, codes: ['FORBIDDEN'], atChain: true });
        observe(key).refused.add(caller.name);
      }
    }
  }, 300_000);

  it('every departmental rule was both answered and refused (or its list filtered) in the runs above', () => {
    const departmental = Object.entries(SCOPE_RULES).filter(([key, value]) => !key.startsWith('Mutation.') && ['values', 'operational', 'lookup', 'roles', 'list'].includes(value.kind));
    const unexercised: string[] = [];
    for (const [key, value] of departmental) {
      const entry = observed.get(key);
      if (!entry || entry.answered.size === 0) unexercised.push(`${key}: never answered`);
      if (value.kind === 'list') {
        const admin = entry?.listed.get('ADMIN (key)') ?? new Set();
        const health = entry?.listed.get('IT_HEALTH (key)') ?? new Set();
        if (admin.size < 2 || [...health].join() !== 'SO_YT') unexercised.push(`${key}: listed ${[...admin].join(',')} to ADMIN, ${[...health].join(',')} to IT_HEALTH`);
      } else if (!entry || entry.refused.size === 0) unexercised.push(`${key}: never refused`);
    }
    expect(unexercised).toEqual([]);
    const counts: Record<string, number> = {};
    for (const value of Object.values(SCOPE_RULES)) counts[value.kind] = (counts[value.kind] ?? 0) + 1;
    // The figures of the README's Security section.
    process.stdout.write(`scope rules by kind: ${JSON.stringify(counts)}\n`);
  });

  /** A snapshot of what a refused write could have changed. */
  const fingerprint = async () => {
    const tables = [
      'connector', 'connector_run', 'observation', 'observation_revision', 'api_key', 'outbound_host', 'outbound_host_department', 'task_change', 'pilot_model_change',
      'program', 'task_group', 'task', 'pilot_model', 'metric', 'metric_change', 'department', 'department_reorganization', 'department_move',
    ];
    const counts: Record<string, unknown> = await rowCounts(hub.dataSource, tables);
    counts.connectors = await hub.dataSource.query('SELECT id, enabled, lookbackDays, deletedAt FROM connector ORDER BY id');
    counts.targets = await hub.dataSource.query('SELECT code, targetValue FROM metric ORDER BY code');
    return counts;
  };

  it('every mutation refuses the roles it does not admit, and another department\'s connector answers as a missing one', async () => {
    const justice = ids.justicePush;
    const row = `[{ metric: "${JUSTICE_METRIC}", unit: "412", period: "2024-04-02", value: 9 }]`;
    const calls: Record<string, (id: string) => string> = {
      updatePilotModelStatus: () => 'updatePilotModelStatus(code: "M05", status: COMPLETED, note: "scope") { code }',
      updatePilotModel: () => 'updatePilotModel(code: "M05", input: { responsiblePerson: "Giám đốc", note: "scope" }) { code }',
      updateTaskStatus: () => `updateTaskStatus(code: "${taskCode}", status: COMPLETED, note: "scope") { code }`,
      updateTask: () => `updateTask(code: "${taskCode}", input: { responsiblePerson: "Giám đốc", note: "scope" }) { code }`,
      createProgram: () => 'createProgram(input: { code: "SCOPE", name: "Scope", nameVi: "Scope", decision: "x", planYear: 2025 }) { code }',
      createPlan: () => 'createPlan(input: { program: "DA06", planYear: 2025, carryOverFrom: 2024, note: "scope" }) { planYear }',
      createTaskGroup: () => 'createTaskGroup(input: { code: "SCOPE", name: "Scope", program: "DA06", planYear: 2024, leadDepartment: "SO_TP" }) { code }',
      createTask: () => `createTask(input: { code: "SCOPE", title: "Scope", taskGroup: "${taskGroupCode}", leadDepartment: "SO_TP", responsiblePerson: "Giám đốc", deadline: "2030-12-31" }) { code }`,
      retireTask: () => `retireTask(code: "${taskCode}", note: "scope") { code }`,
      createPilotModel: () => `createPilotModel(input: { code: "SCOPE", name: "Scope", leadDepartment: "SO_TP", responsiblePerson: "Giám đốc", deadline: "2030-12-31", taskGroup: "${taskGroupCode}" }) { code }`,
      retirePilotModel: () => 'retirePilotModel(code: "M05", note: "scope") { code }',
      createMetric: () => 'createMetric(input: { code: "SCOPE", name: "Scope", kind: COUNT, frequency: MONTH, department: "SO_TP", pilotModel: "M05" }) { code }',
      updateMetric: () => `updateMetric(code: "${JUSTICE_METRIC}", input: { name: "Scope" }) { code }`,
      retireMetric: () => `retireMetric(code: "${JUSTICE_METRIC}", note: "scope") { code }`,
      importCatalogue: () => 'importCatalogue(file: "UEsDBA==", apply: true) { applied }',
      setMetricTarget: () => `setMetricTarget(code: "${JUSTICE_METRIC}", targetValue: 1, targetDate: "2030-12-31") { code }`,
      addOutboundHost: () => 'addOutboundHost(input: { pattern: "scope.example.gov.vn" }) { id }',
      setOutboundHostDepartments: () => 'setOutboundHostDepartments(id: "1", departments: ["SO_TP"]) { id }',
      removeOutboundHost: () => 'removeOutboundHost(id: "1")',
      createApiKey: () => 'createApiKey(input: { name: "scope", role: ADMIN }) { key }',
      createDepartment: () => 'createDepartment(input: { code: "SCOPE", name: "Scope", nameVi: "Scope", note: "scope" }) { code }',
      mergeDepartments: () => 'mergeDepartments(input: { departments: ["SO_TP"], into: "SO_YT", effectiveDate: "2025-03-01", note: "scope" }) { moved { tasks } }',
      splitDepartment: () =>
        'splitDepartment(input: { department: "SO_TP", effectiveDate: "2025-03-01", note: "scope", parts: [{ into: "SO_YT" }, { into: "SO_NV" }] }) { moved { tasks } }',
      revokeApiKey: () => 'revokeApiKey(id: "1") { id }',
      registerConnector: () => 'registerConnector(input: { name: "Scope probe", kind: "push", department: "SO_TP", config: {} }) { id }',
      validateConnector: () => 'validateConnector(input: { name: "Scope probe", kind: "push", department: "SO_TP", config: {} }) { name }',
      previewConnector: () => 'previewConnector(input: { name: "Scope probe", kind: "push", department: "SO_TP", config: {} }) { ok }',
      updateConnector: (id) => `updateConnector(id: "${id}", input: { lookbackDays: 5 }) { id }`,
      setConnectorEnabled: (id) => `setConnectorEnabled(id: "${id}", enabled: false) { id }`,
      deleteConnector: (id) => `deleteConnector(id: "${id}")`,
      testConnector: (id) => `testConnector(id: "${id}") { ok }`,
      runConnector: (id) => `runConnector(id: "${id}") { id }`,
      submitObservations: (id) => `submitObservations(connectorId: "${id}", rows: ${row}) { summary { imported } }`,
    };
    const mutations = Object.keys(schema.getMutationType()!.getFields());
    expect(mutations.filter((name) => !calls[name])).toEqual([]);
    const before = await fingerprint();
    for (const name of mutations) {
      const value = SCOPE_RULES[`Mutation.${name}`] as Extract<Rule, { kind: 'write' }>;
      for (const caller of callers) {
        const byRole = !value.roles.includes(caller.role);
        const byDepartment = !byRole && value.owned !== undefined && !sees(caller, ['SO_TP']);
        if (!byRole && !byDepartment) continue; // allowed: covered by the files of each feature
        const response = await hub.graphql(`mutation { ${calls[name](justice)} }`, undefined, caller.headers);
        const code = byRole ? 'FORBIDDEN' : value.owned === 'id' ? 'NOT_FOUND' : 'FORBIDDEN';
        expect({ name, caller: caller.name, errors: response.errors?.map((error) => errorKey(error.path, error.extensions?.code)) }).toEqual({
          name,
          caller: caller.name,
          errors: [errorKey([name], code)],
        });
        if (byDepartment && value.owned === 'id') {
          // Word for word the answer for an id that does not exist.
          const missing = await hub.graphql(`mutation { ${calls[name](MISSING_CONNECTOR)} }`, undefined, caller.headers);
          expect(response.errors![0].message.replace(justice, '<id>')).toBe(missing.errors![0].message.replace(MISSING_CONNECTOR, '<id>'));
        }
      }
    }
    expect(await fingerprint()).toEqual(before);
  }, 300_000);

  it('every root query and mutation declares the roles it allows', async () => {
    const { getMetadataStorage } = await import('type-graphql');
    const storage = getMetadataStorage();
    const authorized = new Set(storage.authorizedFields.map((field) => `${field.target.name}.${field.fieldName}`));
    const roots = [...storage.queries, ...storage.mutations].map((handler) => `${handler.target.name}.${handler.methodName}`);
    expect(roots.length).toBeGreaterThan(30);
    expect(roots.filter((root) => !authorized.has(root))).toEqual([]);
  });

  it('connector and run lookups of another department answer word for word as a missing id, over GraphQL and POST /ingest', async () => {
    const it = callers.find((caller) => caller.name === 'IT_HEALTH (token)')!;
    for (const [field, id, unknown] of [['connector', ids.justicePush, MISSING_CONNECTOR], ['connectorRun', ids.justiceRun, toGlobalId('ConnectorRun', 999_999)]] as const) {
      const outside = await hub.graphql(`{ ${field}(id: "${id}") { id } }`, undefined, it.headers);
      const missing = await hub.graphql(`{ ${field}(id: "${unknown}") { id } }`, undefined, it.headers);
      expect([outside.errors?.[0].extensions?.code, outside.errors?.[0].message.replace(id, '<id>')]).toEqual([
        'NOT_FOUND',
        missing.errors?.[0].message.replace(unknown, '<id>'),
      ]);
    }
    const ingest = async (id: string) => {
      const response = await fetch(hub.hub.url.replace('/graphql', `/ingest/${id}`), {
        method: 'POST',
        headers: { ...it.headers, 'content-type': 'text/csv' },
        body: `metric,unit,period,value\n${JUSTICE_METRIC},412,2024-04-03,1\n`,
      });
      return [response.status, (await response.text()).replace(id, '<id>')];
    };
    expect(await ingest(ids.justicePush)).toEqual(await ingest(MISSING_CONNECTOR));
    expect((await ingest(ids.justicePush))[0]).toBe(404);
  });

  /** A download as the caller: status and body. */
  const download = async (caller: Caller, path: string) => {
    const response = await fetch(hub.hub.url.replace('/graphql', path), { headers: caller.headers.authorization ? caller.headers : {} });
    return { status: response.status, text: await response.text() };
  };

  it('the report downloads hold what the caller may see: other departments\' metrics left out, their run figures empty; viewers are refused', async () => {
    for (const caller of callers) {
      const csv = await download(caller, `/reports/progress.csv?period=${YEAR}`);
      const markdown = await download(caller, `/reports/progress.md?period=${YEAR}`);
      if (!OPERATIONAL.includes(caller.role)) {
        expect([caller.name, csv.status, markdown.status]).toEqual([caller.name, 403, 403]);
        continue;
      }
      expect([caller.name, csv.status, markdown.status]).toEqual([caller.name, 200, 200]);
      const rows = parseCsv(csv.text.replace(/^\uFEFF/, '')).slice(1);
      const metricDepartments = new Set(rows.filter((row) => row[0] === 'metric').map((row) => row[4]));
      const runFigures = (department: string) => rows.filter((row) => row[0] === 'department' && row[4] === department && ['connectors', 'runs', 'rows_fetched', 'rows_rejected'].includes(row[9])).map((row) => row[10]);
      const scoped = caller.departments;
      expect([caller.name, [...metricDepartments].every((code) => sees(caller, [code])), metricDepartments.size > (scoped ? 0 : 1)]).toEqual([caller.name, true, true]);
      expect([caller.name, runFigures('SO_TP')]).toEqual([caller.name, sees(caller, ['SO_TP']) ? ['1', '2', '6', '2'] : ['', '', '', '']]);
      expect([caller.name, runFigures('SO_YT')]).toEqual([caller.name, sees(caller, ['SO_YT']) ? ['2', '2', '6', '2'] : ['', '', '', '']]);
      // The Markdown download is the report the caller reads over GraphQL.
      const graphql = await hub.graphql<{ progressReport: { markdown: string; asOf: string } }>(`{ progressReport(period: "${YEAR}") { markdown } }`, undefined, caller.headers);
      expect(markdown.text).toBe(graphql.data!.progressReport.markdown);
    }
  });

  it('CSV exports of another department\'s metric are refused to a department-scoped caller, keys and tokens alike', async () => {
    for (const caller of callers) {
      const exported = await download(caller, `/export/series?metrics=${JUSTICE_METRIC}&from=2024-04&to=2024-04&granularity=MONTH`);
      const allowed = OPERATIONAL.includes(caller.role) && sees(caller, ['SO_TP']);
      expect([caller.name, exported.status]).toEqual([caller.name, allowed ? 200 : 403]);
      if (allowed) expect(exported.text).toContain(JUSTICE_METRIC);
    }
  });

  it('a department\'s IT caller manages and pushes to its own connectors, by key and by token', async () => {
    const own = callers.filter((caller) => caller.departments?.join() === 'SO_YT');
    expect(own.map((caller) => caller.name)).toEqual(['IT_HEALTH (key)', 'IT_HEALTH (token)']);
    for (const [index, caller] of own.entries()) {
      const registered = await hub.graphql<{ registerConnector: { department: { code: string } } }>(
        `mutation { registerConnector(input: { name: "Own push ${index}", kind: "push", department: "SO_YT", config: {} }) { department { code } } }`,
        undefined,
        caller.headers,
      );
      expect(registered.data?.registerConnector).toEqual({ department: { code: 'SO_YT' } });
      const enabled = await hub.graphql(`mutation { setConnectorEnabled(id: "${ids.healthPush}", enabled: true) { enabled } }`, undefined, caller.headers);
      expect(enabled.data).toEqual({ setConnectorEnabled: { enabled: true } });
      const pushed = await hub.graphql(
        `mutation($rows: [ObservationInput!]!) { submitObservations(connectorId: "${ids.healthPush}", rows: $rows) { summary { imported rejected } rejections { reason } } }`,
        { rows: [{ metric: HEALTH_METRIC, unit: '413', period: `2024-05-0${index + 1}`, value: 10 }, { metric: JUSTICE_METRIC, unit: '413', period: '2024-05-01', value: 1 }] },
        caller.headers,
      );
      // A connector only writes its own department's metrics, whoever sends the row.
      expect(pushed.data).toEqual({ submitObservations: { summary: { imported: 1, rejected: 1 }, rejections: [{ reason: 'METRIC_NOT_ALLOWED' }] } });
      const response = await fetch(hub.hub.url.replace('/graphql', `/ingest/${ids.healthPush}`), {
        method: 'POST',
        headers: { ...caller.headers, 'content-type': 'text/csv' },
        body: `metric,unit,period,value\n${HEALTH_METRIC},413,2024-06-0${index + 1},20\n`,
      });
      expect([response.status, ((await response.json()) as { summary: { imported: number } }).summary.imported]).toEqual([200, 1]);
    }
  });
});
