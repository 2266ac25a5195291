/**
 * Reorganizations of departments (docs/catalogue.md, "Reorganizations"): a merge or a split with an effective
 * date moves every item the predecessors hold to the successors in one transaction, ends the predecessors on that
 * date and keeps who led what when (department_move, and a record in each item's history).
 */
import { In, type EntityManager } from 'typeorm';
import { FactBasis } from '../../common/enums';
import { badInput, HubError } from '../../common/errors';
import { isValidDate } from '../../common/period';
import type { RequestScope } from '../../common/request-scope';
import { findByCode } from '../../database/by-code';
import { isSqlite } from '../../database/sql-dialect';
import { parseNodeId } from '../../graphql/node-id';
import { ApiKey } from '../../security/api-key.entity';
import { Role } from '../../security/principal';
import { assertNewCode, requiredCode, requiredNote, requiredText, write } from '../catalogue/catalogue-lifecycle.service';
import { Department } from './department.entity';
import { applyMoves, assertConnectorNamesFree, heldBy, SUBJECT_LISTS, type Held, type Move } from './reorganization-moves';
import { DepartmentMove, DepartmentReorganization, DepartmentSuccession, MovedSubject, ReorganizationKind } from './reorganization.entity';

export interface DepartmentInput {
  code: string;
  name: string;
  nameVi: string;
  validFrom?: string | null;
  note: string;
}

/** Names of a successor a reorganization creates. */
export interface NewDepartment {
  name: string;
  nameVi: string;
}

export interface MergeInput {
  departments: string[];
  into: string;
  create?: NewDepartment | null;
  effectiveDate: string;
  note: string;
}

export interface SplitPart {
  into: string;
  create?: NewDepartment | null;
  taskGroups?: string[] | null;
  tasks?: string[] | null;
  pilotModels?: string[] | null;
  metrics?: string[] | null;
  connectors?: string[] | null;
}

export interface SplitInput {
  department: string;
  effectiveDate: string;
  note: string;
  parts: SplitPart[];
}

export interface MovedCounts {
  taskGroups: number;
  tasks: number;
  pilotModels: number;
  supportedPilotModels: number;
  metrics: number;
  connectors: number;
}

export interface ReorganizationResult {
  reorganization: DepartmentReorganization;
  predecessors: Department[];
  successors: Department[];
  moved: MovedCounts;
  /** Active DEPARTMENT_IT keys scoped to a predecessor: they keep its history and gain nothing; re-issue them. */
  apiKeysToReview: ApiKey[];
}

function effectiveDate(scope: RequestScope, value: string): string {
  if (typeof value !== 'string' || !isValidDate(value)) throw badInput('input.effectiveDate', 'expected a calendar date YYYY-MM-DD');
  if (value > scope.today) throw badInput('input.effectiveDate', `must not be after today (${scope.today}): record a reorganization once it takes effect`);
  return value;
}

function newDepartmentValues(field: string, code: string, names: NewDepartment, validFrom: string | null) {
  return {
    code,
    name: requiredText(`${field}.name`, names.name, 200),
    nameVi: requiredText(`${field}.nameVi`, names.nameVi, 200),
    validFrom,
    validTo: null,
    successorId: null,
    basis: FactBasis.SOURCE,
  };
}

/** Creates a department (ADMIN); long-standing unless validFrom is given. */
export function createDepartment(scope: RequestScope, input: DepartmentInput): Promise<Department> {
  const code = requiredCode('input.code', input.code, 32);
  requiredNote('input.note', input.note);
  if (input.validFrom != null && !isValidDate(input.validFrom)) throw badInput('input.validFrom', 'expected a calendar date YYYY-MM-DD');
  const values = newDepartmentValues('input', code, input, input.validFrom ?? null);
  return write(scope, 'input.code', async (manager) => {
    await assertNewCode(manager, Department, 'input.code', 'department', code);
    const { identifiers } = await manager.getRepository(Department).insert(values);
    return manager.getRepository(Department).findOneByOrFail({ id: identifiers[0].id as number });
  });
}

/** The codes of a list input: at least one, each valid and listed once. */
function codeList(field: string, values: readonly string[] | null | undefined, max: number, required: boolean): string[] {
  if (!values || values.length === 0) {
    if (required) throw badInput(field, 'must list at least one code');
    return [];
  }
  const codes = values.map((value, index) => requiredCode(`${field}[${index}]`, value, max));
  codes.forEach((code, index) => {
    if (codes.indexOf(code) !== index) throw badInput(`${field}[${index}]`, `"${code}" is listed twice`);
  });
  return codes;
}

/** A predecessor: it exists, exists before the date, and has not been reorganized or ended otherwise. */
async function predecessor(manager: EntityManager, field: string, code: string, day: string, successorCodes: readonly string[]): Promise<Department> {
  // Locked on MariaDB: two reorganizations of one department wait for each other, and the second sees the first.
  const department = await findByCode(manager, Department, code, isSqlite(manager) ? {} : { lock: { mode: 'pessimistic_write' } });
  if (!department) throw badInput(field, `unknown department "${code}"`);
  const earlier = await manager.getRepository(DepartmentSuccession).findOne({ where: { predecessorId: department.id }, relations: { reorganization: true } });
  if (earlier) throw badInput(field, `department "${code}" was already reorganized (${earlier.reorganization!.kind} effective ${earlier.reorganization!.effectiveOn})`);
  if (department.validTo && department.validTo !== day) throw badInput(field, `department "${code}" ended on ${department.validTo}; a reorganization of it takes effect that day`);
  if (department.validTo && department.successorId != null) {
    const declared = await manager.getRepository(Department).findOneByOrFail({ id: department.successorId });
    if (!successorCodes.includes(declared.code)) throw badInput(field, `department "${code}" is recorded as succeeded by ${declared.code}, not by ${successorCodes.join(', ')}`);
  }
  if (department.validFrom && department.validFrom >= day) throw badInput('input.effectiveDate', `${day} is not after department "${code}" begins (${department.validFrom})`);
  // Work that moved into it earlier: the new move must come after.
  const latest = await manager.getRepository(DepartmentMove).findOne({ where: { toDepartmentId: department.id }, order: { effectiveOn: 'DESC' } });
  if (latest && latest.effectiveOn >= day) throw badInput('input.effectiveDate', `must be after ${latest.effectiveOn}, when work last moved to "${code}"`);
  return department;
}

/** A successor: an existing department in force on the date, or one this call creates (valid from the date). */
async function successor(manager: EntityManager, field: string, code: string, create: NewDepartment | null | undefined, day: string): Promise<Department> {
  const found = await findByCode(manager, Department, code);
  if (create) {
    if (found) throw new HubError('CONFLICT', `${field}: department "${code}" exists already; leave out \`create\` to merge into it`, field);
    const { identifiers } = await manager.getRepository(Department).insert(newDepartmentValues(field.replace(/\.into$/, '.create'), code, create, day));
    return manager.getRepository(Department).findOneByOrFail({ id: identifiers[0].id as number });
  }
  if (!found) throw badInput(field, `unknown department "${code}"; give \`create\` (name, nameVi) to create it`);
  if (found.validFrom && found.validFrom > day) throw badInput(field, `department "${code}" exists from ${found.validFrom} only, after ${day}`);
  if (found.validTo && found.validTo <= day) throw badInput(field, `department "${code}" no longer exists on ${day} (ended ${found.validTo})`);
  return found;
}

async function finish(scope: RequestScope, manager: EntityManager, kind: ReorganizationKind, day: string, note: string, predecessors: Department[], successors: Department[], moves: Move[]): Promise<ReorganizationResult> {
  const { identifiers } = await manager.getRepository(DepartmentReorganization).insert({ kind, effectiveOn: day, note, author: scope.actor, recordedAt: new Date() });
  const reorganizationId = identifiers[0].id as number;
  await manager.getRepository(DepartmentSuccession).insert(
    predecessors.flatMap((before) => successors.map((after) => ({ reorganizationId, predecessorId: before.id, successorId: after.id }))),
  );
  // A split names its first part as the successor; the others are in `successors`.
  await manager.getRepository(Department).update({ id: In(predecessors.map((before) => before.id)) }, { validTo: day, successorId: successors[0].id });
  const departments = new Map([...predecessors, ...successors].map((department) => [department.id, department]));
  await applyMoves(scope, manager, reorganizationId, day, departments, moves, note);
  const count = (...subjects: MovedSubject[]) => moves.filter((move) => subjects.includes(move.held.subject)).length;
  const apiKeysToReview = await manager
    .getRepository(ApiKey)
    .createQueryBuilder('apiKey')
    .innerJoin('api_key_department', 'scope', 'scope.apiKeyId = apiKey.id')
    .where('scope.departmentId IN (:...ids)', { ids: predecessors.map((before) => before.id) })
    .andWhere('apiKey.role = :role AND apiKey.revokedAt IS NULL', { role: Role.DEPARTMENT_IT })
    .andWhere('(apiKey.expiresAt IS NULL OR apiKey.expiresAt > :now)', { now: new Date() })
    .orderBy('apiKey.id', 'ASC')
    .getMany();
  return {
    reorganization: await manager.getRepository(DepartmentReorganization).findOneByOrFail({ id: reorganizationId }),
    predecessors: await manager.getRepository(Department).findBy({ id: In(predecessors.map((before) => before.id)) }),
    successors,
    moved: {
      taskGroups: count(MovedSubject.TASK_GROUP),
      tasks: count(MovedSubject.TASK),
      pilotModels: count(MovedSubject.PILOT_MODEL),
      supportedPilotModels: count(MovedSubject.PILOT_MODEL_SUPPORT),
      metrics: count(MovedSubject.METRIC),
      connectors: count(MovedSubject.CONNECTOR),
    },
    apiKeysToReview,
  };
}

/** Merges departments into one (existing, or created by this call) from the effective date on. */
export function mergeDepartments(scope: RequestScope, input: MergeInput): Promise<ReorganizationResult> {
  const codes = codeList('input.departments', input.departments, 32, true);
  const into = requiredCode('input.into', input.into, 32);
  if (codes.includes(into)) throw badInput('input.into', `"${into}" is among input.departments: a department is not merged into itself`);
  const day = effectiveDate(scope, input.effectiveDate);
  const note = requiredNote('input.note', input.note);
  return write(scope, 'input.into', async (manager) => {
    const predecessors: Department[] = [];
    for (const [index, code] of codes.entries()) predecessors.push(await predecessor(manager, `input.departments[${index}]`, code, day, [into]));
    const target = await successor(manager, 'input.into', into, input.create, day);
    const moves = (await heldBy(manager, predecessors.map((department) => department.id))).map((held) => ({ held, to: target }));
    await assertConnectorNamesFree(manager, moves, () => 'input.departments');
    return finish(scope, manager, ReorganizationKind.MERGE, day, note, predecessors, [target], moves);
  });
}

/** The item of `held` a part's list names, by code (a connector: by global id or database id). */
function assigned(held: readonly Held[], subject: MovedSubject, field: string, given: string, department: string): Held[] {
  const list = SUBJECT_LISTS[subject];
  if (subject === MovedSubject.CONNECTOR) {
    const id = parseNodeId(given, 'Connector', field, 'connector');
    const found = held.filter((item) => item.subject === subject && item.id === id);
    if (found.length === 0) throw badInput(field, `connector ${id} is not a connector of ${department} (deleted connectors stay with it)`);
    return found;
  }
  const code = requiredCode(field, given, 64);
  const subjects = subject === MovedSubject.PILOT_MODEL ? [MovedSubject.PILOT_MODEL, MovedSubject.PILOT_MODEL_SUPPORT] : [subject];
  const found = held.filter((item) => subjects.includes(item.subject) && item.code === code);
  if (found.length === 0) throw badInput(field, `${list}: "${code}" is not led${subject === MovedSubject.PILOT_MODEL ? ' or supported' : ''} by ${department}`);
  return found;
}

const PART_LISTS = [MovedSubject.TASK_GROUP, MovedSubject.TASK, MovedSubject.PILOT_MODEL, MovedSubject.METRIC, MovedSubject.CONNECTOR] as const;

/** Splits a department between several (existing, or created by this call): every item it holds goes to exactly one part. */
export function splitDepartment(scope: RequestScope, input: SplitInput): Promise<ReorganizationResult> {
  const code = requiredCode('input.department', input.department, 32);
  const day = effectiveDate(scope, input.effectiveDate);
  const note = requiredNote('input.note', input.note);
  const parts = input.parts ?? [];
  if (parts.length < 2) throw badInput('input.parts', 'a split needs at least two parts (to move everything to one department, merge it)');
  const intos = parts.map((part, index) => requiredCode(`input.parts[${index}].into`, part.into, 32));
  intos.forEach((into, index) => {
    if (into === code) throw badInput(`input.parts[${index}].into`, `"${into}" is the department being split`);
    if (intos.indexOf(into) !== index) throw badInput(`input.parts[${index}].into`, `"${into}" is the successor of part ${intos.indexOf(into)} already`);
  });
  return write(scope, 'input.parts', async (manager) => {
    const department = await predecessor(manager, 'input.department', code, day, intos);
    const successors: Department[] = [];
    for (const [index, part] of parts.entries()) successors.push(await successor(manager, `input.parts[${index}].into`, intos[index], part.create, day));
    const held = await heldBy(manager, [department.id]);
    const owner = new Map<Held, { part: number; field: string }>();
    const moves: Move[] = [];
    for (const [index, part] of parts.entries()) {
      for (const subject of PART_LISTS) {
        const list = SUBJECT_LISTS[subject];
        for (const [position, given] of ((part as unknown as Record<string, string[] | null | undefined>)[list] ?? []).entries()) {
          const field = `input.parts[${index}].${list}[${position}]`;
          for (const item of assigned(held, subject, field, given, code)) {
            const earlier = owner.get(item);
            if (earlier) throw badInput(field, `${item.name} is assigned twice (also at ${earlier.field}); assign each item to one part`);
            owner.set(item, { part: index, field });
            moves.push({ held: item, to: successors[index] });
          }
        }
      }
    }
    const unassigned = held.filter((item) => !owner.has(item));
    if (unassigned.length > 0) {
      const byList = new Map<string, string[]>();
      for (const item of unassigned) byList.set(SUBJECT_LISTS[item.subject], [...(byList.get(SUBJECT_LISTS[item.subject]) ?? []), item.code]);
      throw badInput('input.parts', `every item of ${code} must be assigned to one part; unassigned: ${[...byList].map(([list, items]) => `${list} ${[...new Set(items)].join(', ')}`).join('; ')}`);
    }
    // A connector writes its mapped metrics only if they are its department's: they go to the same part.
    for (const move of moves.filter((candidate) => candidate.held.subject === MovedSubject.CONNECTOR)) {
      for (const metric of move.held.metricCodes ?? []) {
        const metricMove = moves.find((candidate) => candidate.held.subject === MovedSubject.METRIC && candidate.held.code === metric);
        if (metricMove && metricMove.to.id !== move.to.id) {
          throw badInput(owner.get(move.held)!.field, `${move.held.name} writes metric ${metric}, assigned to ${metricMove.to.code}; a connector goes where its metrics go`);
        }
      }
    }
    await assertConnectorNamesFree(manager, moves, (move) => owner.get(move.held)!.field);
    return finish(scope, manager, ReorganizationKind.SPLIT, day, note, [department], successors, moves);
  });
}
