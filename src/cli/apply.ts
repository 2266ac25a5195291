/**
 * `pilothub connectors apply`: the plan (created / updated with a field diff / unchanged) of a set of manifests
 * against what the hub holds, then its application. Every manifest is checked by the hub (validateConnector)
 * before anything is written, so one wrong manifest stops the whole set; a connector is matched by its
 * department and name (unique within a department); "unchanged" compares the definition as the hub would store
 * it (defaults filled) with the stored one, and sends nothing.
 */
import { HubCallError, type HubClient } from './client';
import { CliError } from './errors';
import { listConnectors, type HubConnector } from './hub-connectors';
import { manifestError, manifestPath, type Manifest, type ManifestProblem } from './manifests';

export type Action = 'created' | 'updated' | 'unchanged';

export interface Change {
  /** Manifest path, e.g. spec.config.url. */
  field: string;
  from?: unknown;
  to?: unknown;
}

export interface PlanEntry {
  manifest: Manifest;
  action: Action;
  changes: Change[];
  existing: HubConnector | null;
  /** The definition as the hub would store it. */
  definition: Definition;
  /** Secrets sent with the write (name → environment variable). */
  secretsToSend: string[];
}

interface Definition {
  name: string;
  kind: string;
  department: string;
  schedule: string | null;
  timeZone: string;
  lookbackDays: number;
  maxWindowDays: number | null;
  config: Record<string, unknown>;
  mapping: Record<string, unknown>;
}

const DEFINITION_FIELDS = 'name kind department schedule timeZone lookbackDays maxWindowDays config mapping';
const COMPARED = ['schedule', 'timeZone', 'lookbackDays', 'maxWindowDays', 'config', 'mapping'] as const;

/** JSON with object keys sorted, so two equal values compare equal whatever their key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The leaves that differ between two values, as dotted paths under `prefix`. */
function differences(prefix: string, before: unknown, after: unknown, changes: Change[]): void {
  const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
  if (isObject(before) && isObject(after)) {
    for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])]) differences(`${prefix}.${key}`, before[key], after[key], changes);
    return;
  }
  if (canonical(before) === canonical(after)) return;
  changes.push({ field: prefix, ...(before !== undefined ? { from: before } : {}), ...(after !== undefined ? { to: after } : {}) });
}

function inputOf(manifest: Manifest, secrets: Array<{ name: string; value: string }>): Record<string, unknown> {
  const { spec } = manifest;
  return {
    name: manifest.name,
    kind: spec.kind,
    department: manifest.department,
    schedule: spec.schedule ?? null,
    timeZone: spec.timeZone ?? null,
    lookbackDays: spec.lookbackDays ?? null,
    maxWindowDays: spec.maxWindowDays ?? null,
    config: spec.config,
    mapping: spec.mapping ?? null,
    secrets,
  };
}

/**
 * The plan: every manifest checked by the hub, compared with its connector. Throws every problem found (hub
 * refusals as file:line and field path, secrets whose variable is not set) before anything is written.
 */
export async function plan(client: HubClient, manifests: readonly Manifest[], options: { rotateSecrets: boolean; environment?: NodeJS.ProcessEnv }): Promise<PlanEntry[]> {
  const environment = options.environment ?? process.env;
  const departments = [...new Set(manifests.map((manifest) => manifest.department))];
  const existing = new Map<string, HubConnector>();
  for (const department of departments) {
    let listed: HubConnector[];
    try {
      listed = await listConnectors(client, department);
    } catch (error) {
      // An unknown department is the manifest's problem, reported with its line below.
      if (error instanceof HubCallError && error.hubCode === 'NOT_FOUND') listed = [];
      else throw error;
    }
    for (const connector of listed) existing.set(`${connector.department.code}\u0000${connector.name}`, connector);
  }
  const problems: ManifestProblem[] = [];
  const entries: PlanEntry[] = [];
  for (const manifest of manifests) {
    const current = existing.get(`${manifest.department}\u0000${manifest.name}`) ?? null;
    let definition: Definition;
    try {
      // Secret values are not needed to check a definition: their names are.
      const names = Object.keys(manifest.spec.secrets).map((name) => ({ name, value: '' }));
      definition = (
        await client.graphql<{ validateConnector: Definition }>(
          `mutation Validate($input: ConnectorInput!, $id: ID) { validateConnector(input: $input, id: $id) { ${DEFINITION_FIELDS} } }`,
          { input: inputOf(manifest, names), id: current?.id ?? null },
        )
      ).validateConnector;
    } catch (error) {
      if (!(error instanceof HubCallError) || !['BAD_USER_INPUT', 'NOT_FOUND', 'FORBIDDEN', 'CONFLICT'].includes(error.hubCode)) throw error;
      const fieldPath = manifestPath(error.field ?? (/department/i.test(error.hubMessage) && error.hubCode !== 'BAD_USER_INPUT' ? 'department' : undefined), manifest);
      const message = error.hubMessage.replace(/^input\.[\w.]+: /, '');
      problems.push({ location: manifest.locate(fieldPath), field: fieldPath.join('.'), message: `${message} (${error.hubCode})` });
      continue;
    }
    const changes: Change[] = [];
    let secretsToSend: string[];
    if (!current) {
      secretsToSend = Object.keys(manifest.spec.secrets);
    } else {
      for (const field of COMPARED) {
        if (field === 'config' || field === 'mapping') differences(`spec.${field}`, current[field], definition[field], changes);
        else if (canonical(current[field]) !== canonical(definition[field])) changes.push({ field: `spec.${field}`, from: current[field], to: definition[field] });
      }
      const configChanged = canonical(current.config) !== canonical(definition.config);
      // Secret values are write-only: a secret is sent when the hub has none of that name, when the configuration
      // changes (a secret follows its destination), or when asked to (--rotate-secrets).
      secretsToSend = Object.keys(manifest.spec.secrets).filter((name) => options.rotateSecrets || configChanged || !current.secretNames.includes(name));
      for (const name of secretsToSend) changes.push({ field: `spec.secrets.${name}`, to: current.secretNames.includes(name) ? '(đặt lại / set again)' : '(đặt / set)' });
    }
    for (const name of secretsToSend) {
      const variable = manifest.spec.secrets[name];
      if (environment[variable] === undefined || environment[variable] === '') {
        problems.push({
          location: manifest.locate(['spec', 'secrets', name, 'fromEnv']),
          field: `spec.secrets.${name}.fromEnv`,
          message: `biến môi trường ${variable} chưa được đặt — the environment variable ${variable} is not set`,
        });
      }
    }
    entries.push({ manifest, action: !current ? 'created' : changes.length > 0 ? 'updated' : 'unchanged', changes, existing: current, definition, secretsToSend });
  }
  if (problems.length > 0) throw manifestError(problems);
  return entries;
}

/** Writes the plan's changes, in manifest order; the first refusal stops (what was written stays, and is said). */
export async function applyPlan(client: HubClient, entries: readonly PlanEntry[], environment: NodeJS.ProcessEnv = process.env): Promise<Array<{ entry: PlanEntry; id: string }>> {
  const applied: Array<{ entry: PlanEntry; id: string }> = [];
  for (const entry of entries) {
    const { manifest, definition } = entry;
    const secrets = entry.secretsToSend.map((name) => ({ name, value: environment[manifest.spec.secrets[name]] ?? '' }));
    try {
      if (entry.action === 'created') {
        const created = await client.graphql<{ registerConnector: { id: string } }>(
          'mutation Register($input: ConnectorInput!) { registerConnector(input: $input) { id } }',
          { input: { ...inputOf(manifest, secrets), config: definition.config, mapping: definition.mapping, timeZone: definition.timeZone } },
        );
        applied.push({ entry, id: created.registerConnector.id });
      } else if (entry.action === 'updated') {
        const current = entry.existing!;
        const input: Record<string, unknown> = { expectedVersion: current.version };
        for (const field of COMPARED) {
          if (canonical(current[field]) !== canonical(definition[field])) input[field] = definition[field];
        }
        if (secrets.length > 0) input.secrets = secrets;
        await client.graphql('mutation Update($id: ID!, $input: ConnectorUpdateInput!) { updateConnector(id: $id, input: $input) { id } }', { id: current.id, input });
        applied.push({ entry, id: current.id });
      } else {
        applied.push({ entry, id: entry.existing!.id });
      }
    } catch (error) {
      const done = applied.filter((item) => item.entry.action !== 'unchanged').map((item) => `${item.entry.manifest.name} (${item.entry.action})`);
      throw new CliError(
        `${manifest.locate(['metadata', 'name'])}: áp dụng "${manifest.name}" thất bại — applying "${manifest.name}" failed: ${(error as Error).message}`,
        done.length > 0 ? [`Đã áp dụng trước đó — applied before it: ${done.join(', ')}`] : ['Chưa áp dụng gì — nothing was applied'],
      );
    }
  }
  return applied;
}
