/** A failure the CLI reports as one message (Vietnamese first, English beside it) and a non-zero exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    /** Extra lines printed under the message (e.g. each problem of a manifest). */
    readonly details: readonly string[] = [],
    readonly exitCode = 1,
    /** Machine-readable code for `--output json` (e.g. BAD_USER_INPUT, NOT_FOUND, INVALID_MANIFEST). */
    readonly code = 'ERROR',
  ) {
    super(message);
    this.name = 'CliError';
  }
}
