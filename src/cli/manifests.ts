/**
 * Connector manifests: YAML files (one or several documents each) of `apiVersion: pilothub/v1`, `kind: Connector`.
 * Read with their source positions, so every problem is reported as `file:line` with the field path
 * (`spec.config.url`). The hub checks the definitions themselves (validateConnector); this module checks the shape
 * of the manifest around them and where secrets come from.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node as YamlNode } from 'yaml';
import { CliError } from './errors';

export const API_VERSION = 'pilothub/v1';
const SPEC_FIELDS = ['kind', 'schedule', 'timeZone', 'lookbackDays', 'maxWindowDays', 'config', 'mapping', 'secrets'] as const;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ManifestSpec {
  kind: string;
  schedule?: string | null;
  timeZone?: string | null;
  lookbackDays?: number | null;
  maxWindowDays?: number | null;
  config: Record<string, unknown>;
  mapping?: Record<string, unknown> | null;
  /** Secret name → the environment variable holding its value. */
  secrets: Record<string, string>;
}

export interface Manifest {
  file: string;
  /** Line of the document's start (1-based). */
  line: number;
  name: string;
  department: string;
  spec: ManifestSpec;
  /** `file:line` of a field path (or of its nearest existing parent). */
  locate(fieldPath: ReadonlyArray<string | number>): string;
}

/** A problem of a manifest: where, which field, what. */
export interface ManifestProblem {
  location: string;
  field: string;
  message: string;
}

export function problemLine(problem: ManifestProblem): string {
  return `${problem.location}: ${problem.field}: ${problem.message}`;
}

/** The .yaml/.yml files of a file or folder (folders read recursively, in name order). */
export function manifestFiles(target: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch {
    throw new CliError(`Không tìm thấy ${target} — ${target} does not exist`);
  }
  if (stat.isFile()) return [target];
  const found: string[] = [];
  for (const entry of fs.readdirSync(target, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const child = path.join(target, entry.name);
    if (entry.isDirectory()) found.push(...manifestFiles(child));
    else if (/\.ya?ml$/i.test(entry.name)) found.push(child);
  }
  return found;
}

function locator(file: string, document: Document, lines: LineCounter): (fieldPath: ReadonlyArray<string | number>) => string {
  return (fieldPath) => {
    // The deepest existing node on the path; a key's own line when the key exists.
    let offset = document.contents?.range?.[0] ?? 0;
    let node: unknown = document.contents;
    for (const part of fieldPath) {
      if (isSeq(node) && typeof part === 'number') {
        const item = node.items[part] as YamlNode | undefined;
        if (!item) break;
        offset = item.range?.[0] ?? offset;
        node = item;
        continue;
      }
      if (!isMap(node)) break;
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(part));
      if (!pair) break;
      offset = (pair.key as YamlNode).range?.[0] ?? offset;
      node = pair.value;
    }
    return `${file}:${lines.linePos(offset).line}`;
  };
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Reads every manifest of the targets. Problems of shape (not YAML, a wrong apiVersion, a missing name, a field
 * spec does not have, a secret not read from the environment …) are collected over all files and thrown
 * together, so nothing is sent to the hub while one file is wrong.
 */
export function readManifests(targets: readonly string[]): Manifest[] {
  const manifests: Manifest[] = [];
  const problems: ManifestProblem[] = [];
  const files = targets.flatMap(manifestFiles);
  if (files.length === 0) throw new CliError(`Không có tệp .yaml nào trong ${targets.join(', ')} — no .yaml files in ${targets.join(', ')}`);
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const lines = new LineCounter();
    const documents = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    for (const document of Array.isArray(documents) ? documents : [documents]) {
      const locate = locator(file, document, lines);
      const problem = (fieldPath: ReadonlyArray<string | number>, message: string) => problems.push({ location: locate(fieldPath), field: fieldPath.join('.') || '(document)', message });
      if (document.errors.length > 0) {
        for (const error of document.errors) {
          problems.push({ location: `${file}:${error.linePos?.[0].line ?? lines.linePos(error.pos[0]).line}`, field: '(yaml)', message: `YAML không hợp lệ — invalid YAML: ${error.message.split('\n')[0]}` });
        }
        continue;
      }
      const value: unknown = document.toJS();
      if (value == null) continue; // an empty document (a trailing ---)
      if (!isObject(value)) {
        problem([], 'phải là một đối tượng — must be a mapping (apiVersion, kind, metadata, spec)');
        continue;
      }
      for (const key of Object.keys(value)) if (!['apiVersion', 'kind', 'metadata', 'spec'].includes(key)) problem([key], 'trường không có trong manifest — unknown field');
      if (value.apiVersion !== API_VERSION) problem(['apiVersion'], `phải là ${API_VERSION} — must be ${API_VERSION}`);
      if (value.kind !== 'Connector') problem(['kind'], 'phải là Connector — must be Connector');
      const metadata = value.metadata;
      if (!isObject(metadata)) {
        problem(['metadata'], 'bắt buộc: { name, department } — required: { name, department }');
      } else {
        for (const key of Object.keys(metadata)) if (!['name', 'department'].includes(key)) problem(['metadata', key], 'trường không có trong metadata — unknown field');
        if (typeof metadata.name !== 'string' || metadata.name.trim() === '') problem(['metadata', 'name'], 'bắt buộc, là chuỗi — required, a string');
        if (typeof metadata.department !== 'string' || metadata.department.trim() === '') problem(['metadata', 'department'], 'bắt buộc, mã sở ngành — required, a department code');
      }
      const spec = value.spec;
      if (!isObject(spec)) {
        problem(['spec'], 'bắt buộc — required');
        continue;
      }
      for (const key of Object.keys(spec)) {
        if (!(SPEC_FIELDS as readonly string[]).includes(key)) problem(['spec', key], `trường không có trong spec — unknown field (one of ${SPEC_FIELDS.join(', ')})`);
      }
      if (typeof spec.kind !== 'string') problem(['spec', 'kind'], 'bắt buộc, là chuỗi — required, a string (http-json, csv, sql, dhis2, push)');
      if (!isObject(spec.config)) problem(['spec', 'config'], 'bắt buộc, là đối tượng — required, a mapping');
      if (spec.mapping != null && !isObject(spec.mapping)) problem(['spec', 'mapping'], 'phải là đối tượng — must be a mapping');
      for (const key of ['schedule', 'timeZone'] as const) if (spec[key] != null && typeof spec[key] !== 'string') problem(['spec', key], 'phải là chuỗi — must be a string');
      for (const key of ['lookbackDays', 'maxWindowDays'] as const) if (spec[key] != null && !Number.isInteger(spec[key])) problem(['spec', key], 'phải là số nguyên — must be a whole number');
      const secrets: Record<string, string> = {};
      if (spec.secrets != null) {
        if (!isObject(spec.secrets)) {
          problem(['spec', 'secrets'], 'phải là đối tượng { tên: { fromEnv: BIẾN } } — must be a mapping { name: { fromEnv: VARIABLE } }');
        } else {
          for (const [name, reference] of Object.entries(spec.secrets)) {
            if (!isObject(reference) || Object.keys(reference).join() !== 'fromEnv') {
              problem(['spec', 'secrets', name], 'chỉ đọc từ biến môi trường: { fromEnv: TÊN_BIẾN }; không ghi giá trị bí mật trong tệp — secrets are read from the environment only: { fromEnv: VARIABLE }; never write a secret value in a file');
            } else if (typeof reference.fromEnv !== 'string' || !ENV_NAME.test(reference.fromEnv)) {
              problem(['spec', 'secrets', name, 'fromEnv'], 'phải là tên biến môi trường, ví dụ SO_YT_TOKEN — must be an environment variable name, e.g. SO_YT_TOKEN');
            } else {
              secrets[name] = reference.fromEnv;
            }
          }
        }
      }
      if (!isObject(metadata) || typeof metadata.name !== 'string' || typeof metadata.department !== 'string' || typeof spec.kind !== 'string' || !isObject(spec.config)) continue;
      manifests.push({
        file,
        line: lines.linePos(document.contents?.range?.[0] ?? 0).line,
        name: metadata.name.normalize('NFC').trim(),
        department: metadata.department.trim(),
        spec: {
          kind: spec.kind,
          schedule: spec.schedule as string | undefined,
          timeZone: spec.timeZone as string | undefined,
          lookbackDays: spec.lookbackDays as number | undefined,
          maxWindowDays: spec.maxWindowDays as number | undefined,
          config: spec.config,
          mapping: spec.mapping as Record<string, unknown> | undefined,
          secrets,
        },
        locate,
      });
    }
  }
  const seen = new Map<string, Manifest>();
  for (const manifest of manifests) {
    const key = `${manifest.department}\u0000${manifest.name}`;
    const first = seen.get(key);
    if (first) {
      problems.push({
        location: manifest.locate(['metadata', 'name']),
        field: 'metadata.name',
        message: `"${manifest.name}" của ${manifest.department} đã có ở ${first.locate(['metadata', 'name'])} — "${manifest.name}" of ${manifest.department} is already defined at ${first.locate(['metadata', 'name'])}`,
      });
    }
    seen.set(key, first ?? manifest);
  }
  if (problems.length > 0) throw manifestError(problems);
  return manifests;
}

export function manifestError(problems: readonly ManifestProblem[]): CliError {
  return new CliError(
    `Manifest có lỗi, không áp dụng gì — the manifests have errors; nothing was applied (${problems.length})`,
    problems.map(problemLine),
    1,
    'INVALID_MANIFEST',
  );
}

/** The manifest path of a field the hub named in a ConnectorInput (`input.config.url` → spec.config.url). */
export function manifestPath(hubField: string | undefined, manifest: Manifest): Array<string | number> {
  const parts = (hubField ?? '').split('.').filter((part) => part !== '');
  if (parts[0] === 'input') parts.shift();
  const [head, ...rest] = parts;
  if (head === 'name') return ['metadata', 'name'];
  if (head === 'department' || hubField === 'department') return ['metadata', 'department'];
  if (head === 'secrets') {
    const index = Number(rest[0]);
    const name = Object.keys(manifest.spec.secrets)[index];
    return name !== undefined ? ['spec', 'secrets', name, ...rest.slice(2)] : ['spec', 'secrets'];
  }
  if (head === undefined) return ['spec'];
  return ['spec', head, ...rest.map((part) => (/^\d+$/.test(part) ? Number(part) : part))];
}
