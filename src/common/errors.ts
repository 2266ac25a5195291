/** Codes a domain error can carry; the GraphQL layer maps each to `extensions.code`. */
export type HubErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'FORBIDDEN'
  | 'UNAUTHENTICATED'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

/** An error whose message is safe to show to the caller. */
export class HubError extends Error {
  constructor(
    readonly code: HubErrorCode,
    message: string,
    /** The argument or input field at fault, e.g. `filter.from`. */
    readonly field?: string,
    /** More facts for programs, sent beside `code` in `extensions` (e.g. `runningRunId`). */
    readonly details?: Readonly<Record<string, string | number>>,
  ) {
    super(message);
  }
}

/** The HTTP status a REST or download endpoint answers for an error code. */
const HTTP_STATUS: Record<string, number> = {
  BAD_USER_INPUT: 400,
  BAD_REQUEST: 400,
  GRAPHQL_PARSE_FAILED: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL_SERVER_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  TIMEOUT: 504,
};

/** HTTP status of an error code (a HubErrorCode, or a GraphQL or query-limit code); unknown codes are 400 when the caller's, else 500. */
export function httpStatusOf(code: string): number {
  return HTTP_STATUS[code] ?? (/^(QUERY_TOO_|TOO_MANY_|BATCH_TOO_LARGE|INTROSPECTION_DISABLED)/.test(code) ? 400 : 500);
}

export function badInput(field: string, message: string): HubError {
  return new HubError('BAD_USER_INPUT', `${field}: ${message}`, field);
}

export function notFound(what: string, code: string): HubError {
  return new HubError('NOT_FOUND', `${what} "${code}" not found`);
}

/**
 * Driver errors that mean the database cannot be reached (rather than a bad statement); the last three are what
 * better-sqlite3 and TypeORM say once the data source has been closed (a shutdown under way).
 */
const CONNECTION_FAILURE =
  /ECONNREFUSED|ECONNRESET|PROTOCOL_CONNECTION_LOST|ETIMEDOUT|ER_CON_COUNT_ERROR|Pool is closed|Connection lost|SQLITE_BUSY|The database connection is not open|Connection is not established with|database is not established/;

/** Whether an error (a driver error, or TypeORM's wrapper around one) says the database is unreachable. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return CONNECTION_FAILURE.test(String(error));
  const text = `${error.message} ${(error as { code?: string }).code ?? ''}`;
  const driverError = (error as { driverError?: unknown }).driverError;
  return CONNECTION_FAILURE.test(text) || (driverError !== undefined && CONNECTION_FAILURE.test(String(driverError)));
}
