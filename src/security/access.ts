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
