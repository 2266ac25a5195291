/**
 * The hub's entry point (src/main.ts, as `npm start` runs it) as a child process: the one way tests and benches
 * start a hub process. Nothing of the test harness is loaded here, so the benches use it too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

/**
 * Node arguments that run a TypeScript file as `ts-node --transpile-only` (`npm start`, the CLIs) would, with the
 * compiled output cached across the processes of a run (tests/helpers/ts-register.js).
 */
export const TYPESCRIPT_NODE_ARGUMENTS: readonly string[] = ['-r', path.join(__dirname, 'ts-register.js')];

export interface SpawnedHub {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs src/main.ts (or, with `compiled`, the compiled main.js of a build in its folder, as the image does) with
 * exactly `environment`, collecting its output. `nodeArguments` adds node flags (e.g. to
 * profile it); with `fileLimit` it runs under `ulimit -n` (a shell that then becomes the hub: same pid, same
 * signals). A process still running when this one exits is killed with it.
 */
export function spawnHub(
  environment: NodeJS.ProcessEnv,
  options: { nodeArguments?: readonly string[]; fileLimit?: number; compiled?: { main: string; cwd: string } } = {},
): SpawnedHub {
  const entry = options.compiled ? [options.compiled.main] : [...TYPESCRIPT_NODE_ARGUMENTS, 'src/main.ts'];
  const command = [process.execPath, ...(options.nodeArguments ?? []), ...entry];
  const [file, ...args] = options.fileLimit ? ['/bin/sh', '-c', `ulimit -n ${options.fileLimit} && exec "$0" "$@"`, ...command] : command;
  const child = spawn(file, args, { cwd: options.compiled?.cwd ?? ROOT, env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      process.off('exit', killOnExit);
      resolve({ code, signal });
    }),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}
