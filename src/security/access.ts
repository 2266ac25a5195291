import type { AuthChecker } from 'type-graphql';
import { HubError } from '../common/errors';
import type { HubContext } from '../graphql/context';
import { Role, type Principal } from './principal';

/** Role sets used with type-graphql's `@Authorized(...)`. */
export const ALL_ROLES = [Role.ADMIN, Role.DEPARTMENT_IT, Role.ANALYST, Role.VIEWER] as const;
/** Reads beyond dashboards: connectors, runs, rejected rows, revisions, exports. */
export const OPERATIONAL_READ_ROLES = [Role.ADMIN, Role.DEPARTMENT_IT, Role.ANALYST] as const;
/** Writes to connectors and pushed values (DEPARTMENT_IT within its departments). */
export const CONNECTOR_WRITE_ROLES = [Role.ADMIN, Role.DEPARTMENT_IT] as const;
export const ADMIN_ONLY = [Role.ADMIN] as const;

export function forbidden(message: string): HubError {
  return new HubError('FORBIDDEN', message);
}

/**
 * `@Authorized(roles)` check: the caller's role must be listed (no list = any authenticated caller). A refusal
 * is FORBIDDEN naming the field, the same code as a refusal for a department outside the caller's scope.
 */
export const authChecker: AuthChecker<HubContext, Role> = ({ context, info }, roles) => {
  if (roles.length === 0 || roles.includes(context.principal.role)) return true;
  throw forbidden(`${info.parentType.name}.${info.fieldName} is not allowed for role ${context.principal.role}`);
};

/** Whether the caller may see or act on data owned by `departmentId`. */
export function canAccessDepartment(principal: Principal, departmentId: number): boolean {
  return principal.departmentIds === null || principal.departmentIds.includes(departmentId);
}

/** Throws FORBIDDEN unless the caller may act on data owned by `departmentId`. */
export function assertDepartmentAccess(principal: Principal, departmentId: number, what: string): void {
  if (!canAccessDepartment(principal, departmentId)) throw forbidden(`${what} belongs to a department outside this caller's departments`);
}

/** Departments a query must be restricted to (null = no restriction). */
export function departmentScope(principal: Principal): readonly number[] | null {
  return principal.departmentIds;
}

/** Throws FORBIDDEN unless the caller's role is one of `roles`. */
export function assertRole(principal: Principal, roles: readonly Role[], what: string): void {
  if (!roles.includes(principal.role)) throw forbidden(`${what} is not allowed for role ${principal.role}`);
}

/**
 * Whether the caller may read the operational data (connectors, runs, run statistics, rejected rows, revisions)
 * of `departmentId`: an operational read role, within its departments.
 */
export function canReadOperational(principal: Principal, departmentId: number): boolean {
  return (OPERATIONAL_READ_ROLES as readonly Role[]).includes(principal.role) && canAccessDepartment(principal, departmentId);
}

/**
 * Throws `missing` — the very error an unknown id gets — unless the caller may see objects of `departmentId`:
 * a department-owned object (connector, run) outside the caller's departments is answered as if it did not
 * exist, so its id tells nothing.
 */
export function assertVisible(principal: Principal, departmentId: number, missing: () => HubError): void {
  if (!canAccessDepartment(principal, departmentId)) throw missing();
}

/**
 * A figure the caller may not see, kept in place of its value in objects built for that caller (scorecards,
 * reports): GraphQL answers the field `null` with a FORBIDDEN error at its path ({@link reveal}); the Markdown
 * and CSV renderings leave it empty.
 */
export class Withheld {
  constructor(readonly reason: string) {}
}

/** The value, or FORBIDDEN when it was withheld from this caller. */
export function reveal<T>(value: T | Withheld): T {
  if (value instanceof Withheld) throw forbidden(value.reason);
  return value;
}

/** The value, or null when it was withheld (renderings: an empty cell). */
export function shown<T>(value: T | Withheld): T | null {
  return value instanceof Withheld ? null : value;
}
