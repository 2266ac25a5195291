/**
 * Checks of catalogue input that look rows up: codes, departments in force on a day, existing rows, dates. Each
 * failure names the field. Used by the catalogue mutations (catalogue-lifecycle.service.ts) and the filing of
 * pilot models (pilot-model-filing.ts).
 */
import type { EntityManager, EntityTarget } from 'typeorm';
import { badInput } from '../../common/errors';
import { isValidDate } from '../../common/period';
import { findByCode } from '../../database/by-code';
import { Department } from '../departments/department.entity';

/** Codes: letters, digits and . _ - /, starting with a letter or digit (e.g. M39, T05.03, KCB_NEW, TG06/2025). */
const CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

export function requiredCode(field: string, value: string | null | undefined, max: number): string {
  const code = value?.trim() ?? '';
  if (!code) throw badInput(field, 'is required');
  if (code.length > max) throw badInput(field, `must be at most ${max} characters`);
  if (!CODE_PATTERN.test(code)) throw badInput(field, 'letters, digits and . _ - / only, starting with a letter or digit');
  return code;
}

/** A calendar date YYYY-MM-DD (callers other than GraphQL, such as the spreadsheet import, pass text). */
export function requiredDate(field: string, value: string | null | undefined): string {
  const text = value?.trim() ?? '';
  if (!text) throw badInput(field, 'is required (YYYY-MM-DD)');
  if (!isValidDate(text)) throw badInput(field, `"${text}" is not a calendar date written YYYY-MM-DD`);
  return text;
}

/** An optional calendar date: null or undefined stays as given. */
export function optionalDate(field: string, value: string | null | undefined): string | null | undefined {
  return value == null ? value : requiredDate(field, value);
}

/**
 * Why a department cannot take new work in the days `from`..`to` (it was merged away before them, or exists only
 * after them), or null when it can: a task or model is led, and a metric reported, by a department that exists.
 */
export function departmentUnavailable(department: Pick<Department, 'code' | 'validFrom' | 'validTo'>, from: string, to = from): string | null {
  if (department.validTo && department.validTo <= from) return `department "${department.code}" no longer exists (since ${department.validTo})`;
  if (department.validFrom && department.validFrom > to) return `department "${department.code}" exists from ${department.validFrom} only`;
  return null;
}

/** A department that exists on `day` (a department merged away before it cannot take new work). */
export async function departmentOn(manager: EntityManager, field: string, code: string | null | undefined, day: string): Promise<Department> {
  const given = requiredCode(field, code, 32);
  const department = await findByCode(manager, Department, given);
  if (!department) throw badInput(field, `unknown department "${given}"`);
  const unavailable = departmentUnavailable(department, day);
  if (unavailable) throw badInput(field, unavailable);
  return department;
}

export async function existing<T extends { id: number; code: string }>(manager: EntityManager, target: EntityTarget<T>, field: string, what: string, code: string | null | undefined): Promise<T> {
  const given = requiredCode(field, code, 64);
  const row = await findByCode(manager, target, given);
  if (!row) throw badInput(field, `unknown ${what} "${given}"`);
  return row;
}
