/** Codes a domain error can carry; the GraphQL layer maps each to `extensions.code`. */
export type HubErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
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
  ) {
    super(message);
  }
}

export function badInput(field: string, message: string): HubError {
  return new HubError('BAD_USER_INPUT', `${field}: ${message}`, field);
}

export function notFound(what: string, code: string): HubError {
  return new HubError('NOT_FOUND', `${what} "${code}" not found`);
}

/** Driver errors that mean the database cannot be reached (rather than a bad statement). */
const CONNECTION_FAILURE = /ECONNREFUSED|ECONNRESET|PROTOCOL_CONNECTION_LOST|ETIMEDOUT|ER_CON_COUNT_ERROR|Pool is closed|Connection lost|SQLITE_BUSY/;

/** Whether an error (a driver error, or TypeORM's wrapper around one) says the database is unreachable. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return CONNECTION_FAILURE.test(String(error));
  const text = `${error.message} ${(error as { code?: string }).code ?? ''}`;
  const driverError = (error as { driverError?: unknown }).driverError;
  return CONNECTION_FAILURE.test(text) || (driverError !== undefined && CONNECTION_FAILURE.test(String(driverError)));
}
