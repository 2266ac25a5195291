import { registerEnumType } from 'type-graphql';

/**
 * Who may do what:
 * - ADMIN: everything.
 * - DEPARTMENT_IT: reads, plus managing and running its departments' connectors, pushing its departments'
 *   metrics and reporting status and progress notes of the tasks and pilot models they lead; metric values,
 *   revisions, runs and rejected rows of other departments are out of its reach.
 * - ANALYST: every read and export, no writes.
 * - VIEWER: dashboard reads (catalogue, values, series, aggregates, progress), no connectors, rejected rows,
 *   revisions, exports or audit.
 */
export enum Role {
  ADMIN = 'ADMIN',
  DEPARTMENT_IT = 'DEPARTMENT_IT',
  ANALYST = 'ANALYST',
  VIEWER = 'VIEWER',
}
registerEnumType(Role, {
  name: 'Role',
  description: 'What a caller may do; see the README security section.',
  valuesConfig: {
    ADMIN: { description: 'Everything.' },
    DEPARTMENT_IT: {
      description:
        'Reads, plus managing and running its departments\' connectors, pushing its departments\' metrics and reporting status and progress notes of the tasks and pilot models they lead.',
    },
    ANALYST: { description: 'Every read and export, no writes.' },
    VIEWER: { description: 'Dashboard reads (catalogue, values, series, aggregates, progress); no connectors, rejected rows, revisions, exports or audit.' },
  },
});

/** The authenticated caller of one request. */
export interface Principal {
  /** Stable identifier recorded in audit and history: `key:<id>`, `jwt:<sub>`, `anonymous`, `system`. */
  subject: string;
  /** Human-readable name (key name, token name claim), recorded as the author of changes. */
  name: string;
  role: Role;
  /** Departments a DEPARTMENT_IT caller is scoped to; null for roles that see every department. */
  departmentIds: readonly number[] | null;
  /** The API key used, when the caller authenticated with one. */
  apiKeyId: number | null;
}

/** The process itself (schedules, demo set-up, command-line tools). */
export const SYSTEM_PRINCIPAL: Principal = { subject: 'system', name: 'system', role: Role.ADMIN, departmentIds: null, apiKeyId: null };
