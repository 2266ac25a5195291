import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { badInput } from '../common/errors';
import { AuditEvent, AuditOutcome } from './audit-event.entity';
import type { Principal } from './principal';
import { SENSITIVE_KEY } from './sensitive';

export { AuditEvent, AuditOutcome } from './audit-event.entity';

/** Who acted. A `Principal` (src/security/principal.ts) is one. */
export interface AuditActor {
  subject: string;
  name: string;
  role: string | null;
}

/** The object an action was about, e.g. `{ type: 'connector', id: 12 }` or `{ type: 'pilotModel', id: 'M03' }`. */
export interface AuditTarget {
  type: string;
  id: string | number | null;
}

/** One event to record. */
export interface AuditEventInput {
  actor: AuditActor;
  /** A mutation name (`registerConnector`) or a dotted event name (`connector.run.scheduled`, `export.series`). */
  action: string;
  target?: AuditTarget | null;
  outcome: AuditOutcome;
  /** The `extensions.code` (or HTTP error code) the caller got, when the outcome is not SUCCESS. */
  errorCode?: string | null;
  requestId?: string | null;
  clientIp?: string | null;
  /** Arguments and results worth keeping; credentials in it are redacted before it is stored. */
  details?: unknown;
  /** Defaults to now. */
  at?: Date;
}

/** The process itself acting on a schedule. */
export const SCHEDULER_ACTOR: AuditActor = { subject: 'system', name: 'scheduler', role: null };

/** The actor of a request that carries no authenticated principal. */
export const ANONYMOUS_ACTOR: AuditActor = { subject: 'anonymous', name: 'anonymous', role: null };

/** The actor of a write refused at authentication whose credential names no known key (missing, unknown, invalid token). */
export const UNAUTHENTICATED_ACTOR: AuditActor = { subject: 'unauthenticated', name: 'unauthenticated', role: null };

export type AuditFailureHandler = (error: unknown, events: readonly AuditEventInput[]) => void;

const failureHandlers = new WeakMap<DataSource, AuditFailureHandler>();

/** Where failed audit writes on `dataSource` are reported (the hub logs and counts them). */
export function onAuditWriteFailure(dataSource: DataSource, handler: AuditFailureHandler): void {
  failureHandlers.set(dataSource, handler);
}

const REDACTED = '[REDACTED]';
const MAX_ARRAY_ITEMS = 20;
const MAX_STRING_LENGTH = 2_000;
const MAX_DEPTH = 8;
/**
 * Largest `details` stored, in bytes (UTF-8: Vietnamese text takes 2–3 per character). Whatever a caller sends,
 * one audit row stays small: larger details are stored shortened (strings 200 characters, lists 5 items), and if
 * that is still too large, as a note of their size and top-level keys.
 */
export const MAX_DETAILS_BYTES = 8 * 1024;
const SHORT_LIMITS = { items: 5, string: 200 };

/** Every value under a sensitive key is replaced; only `name` fields (e.g. which secret was set) are kept. */
function redactAll(value: unknown, depth: number): unknown {
  if (value === null || value === undefined) return value;
  if (Array.isArray(value)) return value.slice(0, MAX_ARRAY_ITEMS).map((item) => redactAll(item, depth + 1));
  if (typeof value === 'object' && depth < MAX_DEPTH) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, key === 'name' && typeof item === 'string' ? item : redactAll(item, depth + 1)]),
    );
  }
  return REDACTED;
}

/**
 * A copy of `value` fit for the audit log: values under credential-like keys (`secrets`, `password`, `token`,
 * `apiKey`, `authorization`, …) redacted, long lists and strings shortened.
 */
export function redactForAudit(value: unknown, depth = 0, limits = { items: MAX_ARRAY_ITEMS, string: MAX_STRING_LENGTH }): unknown {
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.length > limits.string ? `${value.slice(0, limits.string)}…` : value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) {
    const items = value.slice(0, limits.items).map((item) => redactForAudit(item, depth + 1, limits));
    return value.length > limits.items ? [...items, `… ${value.length - limits.items} more`] : items;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value);
    // An object with thousands of keys (variables sent to be refused) is cut like a list.
    const kept = entries.slice(0, limits.items * 5).map(([key, item]) => [key, SENSITIVE_KEY.test(key) ? redactAll(item, depth + 1) : redactForAudit(item, depth + 1, limits)]);
    if (entries.length > kept.length) kept.push(['…', `${entries.length - kept.length} more keys`]);
    return Object.fromEntries(kept);
  }
  return String(value);
}

/** The stored JSON of `details`: redacted, and at most {@link MAX_DETAILS_BYTES} bytes. */
export function detailsText(details: unknown): string | null {
  if (details === undefined || details === null) return null;
  const text = JSON.stringify(redactForAudit(details));
  if (text === undefined) return null;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= MAX_DETAILS_BYTES) return text;
  const shortened = JSON.stringify({ ...(redactForAudit(details, 0, SHORT_LIMITS) as object), truncated: true, bytes });
  if (Buffer.byteLength(shortened, 'utf8') <= MAX_DETAILS_BYTES) return shortened;
  const keys = details !== null && typeof details === 'object' && !Array.isArray(details) ? Object.keys(details).slice(0, 20).map((key) => key.slice(0, 100)) : undefined;
  return JSON.stringify({ truncated: true, bytes, keys });
}

function bounded(value: string | number | null | undefined, length: number): string | null {
  if (value === null || value === undefined) return null;
  const text = String(value);
  return text.length > length ? text.slice(0, length) : text;
}

function row(event: AuditEventInput): Omit<AuditEvent, 'id'> {
  return {
    at: event.at ?? new Date(),
    actorSubject: bounded(event.actor.subject, 200) ?? 'anonymous',
    actorName: bounded(event.actor.name, 200) ?? 'anonymous',
    actorRole: bounded(event.actor.role, 32),
    action: bounded(event.action, 100)!,
    targetType: bounded(event.target?.type, 64),
    targetId: bounded(event.target?.id, 200),
    outcome: event.outcome,
    errorCode: event.outcome === AuditOutcome.SUCCESS ? null : bounded(event.errorCode, 64),
    requestId: bounded(event.requestId, 100),
    clientIp: bounded(event.clientIp, 64),
    details: detailsText(event.details),
  };
}

/**
 * Records audit events in one statement, outside any transaction of the caller (so the record of a failed,
 * rolled-back action stays).
 *
 * Never throws: an audit write that fails is reported to the handler registered with
 * {@link onAuditWriteFailure} (the hub logs it and counts it in `pilothub_audit_write_failures_total`) and
 * `false` is returned, so a committed action is not turned into an error by its audit record.
 */
export async function recordAuditEvents(dataSource: DataSource, events: readonly AuditEventInput[]): Promise<boolean> {
  if (events.length === 0) return true;
  try {
    await dataSource.getRepository(AuditEvent).insert(events.map(row));
    return true;
  } catch (error) {
    const handler = failureHandlers.get(dataSource);
    if (handler) handler(error, events);
    else console.error('audit event could not be stored:', error);
    return false;
  }
}

/**
 * THE entry point for recording an audit event: key creation and revocation, CSV exports, scheduled runs and
 * anything else that is not a GraphQL mutation (mutations are recorded automatically by the audit plugin).
 *
 * ```ts
 * await recordAuditEvent(dataSource, {
 *   actor: principal, action: 'export.series', target: { type: 'metric', id: 'DVC_ONLINE_RATE' },
 *   outcome: AuditOutcome.SUCCESS, requestId, details: { from, to, rows: 1234 },
 * });
 * ```
 *
 * `details` is redacted before it is stored (credential-like keys never reach the table). Never throws; returns
 * whether the event was stored.
 */
export function recordAuditEvent(dataSource: DataSource, event: AuditEventInput): Promise<boolean> {
  return recordAuditEvents(dataSource, [event]);
}

/** {@link recordAuditEvent} for code serving a request: actor, request id and address come from the request's context. */
export function recordAuditEventFor(
  context: { dataSource: DataSource; principal: Principal; requestId?: string; clientIp?: string },
  event: Omit<AuditEventInput, 'actor' | 'requestId' | 'clientIp'>,
): Promise<boolean> {
  return recordAuditEvent(context.dataSource, {
    ...event,
    actor: context.principal,
    requestId: context.requestId ?? null,
    clientIp: context.clientIp ?? null,
  });
}

/** Codes that mean the caller was refused rather than that the action failed. */
const DENIED_CODES = new Set(['FORBIDDEN', 'UNAUTHORIZED', 'UNAUTHENTICATED']);

/** Outcome of an action that ended with `errorCode` (undefined = it succeeded). */
export function outcomeOf(errorCode: string | null | undefined): AuditOutcome {
  if (errorCode === null || errorCode === undefined) return AuditOutcome.SUCCESS;
  return DENIED_CODES.has(errorCode) ? AuditOutcome.DENIED : AuditOutcome.FAILURE;
}

/** Filters of the audit log; every field given must match. */
export interface AuditEventCriteria {
  actorSubject?: string | null;
  action?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  outcome?: AuditOutcome | null;
  /** Recorded at or after this instant. */
  from?: Date | null;
  /** Recorded before this instant (exclusive). */
  to?: Date | null;
}

/** Audit events matching `criteria` (a connection orders and pages them). */
export async function auditEventsQuery(dataSource: DataSource, criteria: AuditEventCriteria | null | undefined): Promise<SelectQueryBuilder<AuditEvent>> {
  if (criteria?.from && criteria.to && criteria.from >= criteria.to) throw badInput('filter.from', 'must be before filter.to');
  const query = dataSource.getRepository(AuditEvent).createQueryBuilder('event');
  for (const key of ['actorSubject', 'action', 'targetType', 'targetId', 'outcome'] as const) {
    const value = criteria?.[key];
    if (value != null) query.andWhere(`event.${key} = :${key}`, { [key]: value });
  }
  if (criteria?.from) query.andWhere('event.at >= :from', { from: criteria.from });
  if (criteria?.to) query.andWhere('event.at < :to', { to: criteria.to });
  return query;
}
