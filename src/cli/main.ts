/** `pilothub <command>`: the entry point (bin/pilothub.js runs it). Exit code 0 on success, 1 on any failure. */
import { CommanderError } from 'commander';
import { buildProgram } from './commands';
import { CliError } from './errors';

function wantsJson(argv: readonly string[]): boolean {
  return argv.some((argument, index) => argument === '--output=json' || argument === '-ojson' || ((argument === '--output' || argument === '-o') && argv[index + 1] === 'json'));
}

export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with code 0; usage errors were already printed by commander.
      process.exitCode = error.exitCode === 0 ? 0 : 1;
      return;
    }
    process.exitCode = error instanceof CliError ? error.exitCode : 1;
    const cli = error instanceof CliError ? error : null;
    if (wantsJson(argv)) {
      process.stderr.write(`${JSON.stringify({ error: { code: cli?.code ?? 'INTERNAL', message: (error as Error).message, details: cli?.details ?? [] } })}\n`);
    } else {
      process.stderr.write(`Lỗi / Error: ${(error as Error).message}\n${(cli?.details ?? []).map((line) => `  ${line}\n`).join('')}`);
      if (!cli) process.stderr.write(`${(error as Error).stack ?? ''}\n`);
    }
  }
}

if (require.main === module) void main(process.argv.slice(2));
