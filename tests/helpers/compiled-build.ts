/**
 * The compiled build laid out as the runtime image holds it (dist/, bin/, package.json, node_modules), for the
 * tests that run the compiled hub and commands: built by the test itself (tests/helpers/transpile-build.js: tsc's
 * JavaScript, without its type checking; never the checkout's dist/, which a build running meanwhile may be
 * replacing), into a folder under the system's temporary folder named after a hash of the sources and of the
 * checkout's path, so the first file of a run pays a few seconds and the others reuse it. node_modules is a link to
 * the checkout's: a build is never reused by another checkout, whose link could point at a checkout removed since.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, sourceHash } from './source-hash';

const BUILD_FOLDER = path.join(os.tmpdir(), 'pilothub-test-builds');
/** Builds unused for this long are removed when a new one is made. */
const BUILD_LIFETIME_MS = 24 * 3600_000;

export interface CompiledBuild {
  /** The application folder (what the image's /app holds). */
  folder: string;
  /** Runs `pilothub-admin <args>` (bin/pilothub-admin.js) with exactly `environment`. */
  admin(args: readonly string[], environment: NodeJS.ProcessEnv): SpawnSyncReturns<string>;
}

let built: CompiledBuild | undefined;

/** The build of the current sources, made on first use (synchronously: it takes a few seconds). */
export function compiledBuild(): CompiledBuild {
  if (built) return built;
  const sources = sourceHash(['src', 'connectors', 'bin', 'package.json', 'tsconfig.json', 'tsconfig.build.json']);
  const folder = path.join(BUILD_FOLDER, createHash('sha256').update(`${ROOT}\n${sources}`).digest('hex').slice(0, 24));
  if (!fs.existsSync(path.join(folder, 'dist', 'src', 'admin.js'))) buildOnce(folder);
  fs.utimesSync(folder, new Date(), new Date());
  built = {
    folder,
    admin: (args, environment) =>
      spawnSync(process.execPath, [path.join(folder, 'bin', 'pilothub-admin.js'), ...args], { cwd: folder, env: environment, encoding: 'utf8', timeout: 120_000 }),
  };
  return built;
}

/** A lock older than this belongs to a worker that died while building: it is taken over. */
const STALE_LOCK_MS = 2 * 60_000;

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Builds `folder` unless another worker of the run is building it (a lock folder, created atomically), in which
 * case it waits for that build: parallel workers starting together build once, not once each.
 */
function buildOnce(folder: string): void {
  fs.mkdirSync(BUILD_FOLDER, { recursive: true });
  const lock = `${folder}.lock`;
  for (;;) {
    if (fs.existsSync(path.join(folder, 'dist', 'src', 'admin.js'))) return;
    try {
      fs.mkdirSync(lock);
    } catch {
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) fs.rmSync(lock, { recursive: true, force: true });
      else sleepSync(200);
      continue;
    }
    try {
      build(folder);
      return;
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** Compiles into a folder of its own, then renames it into place: a worker building at the same time never sees half of it. */
function build(folder: string): void {
  const partial = `${folder}.${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial);
  const compiled = spawnSync(process.execPath, [path.join(__dirname, 'transpile-build.js'), path.join(partial, 'dist')], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (compiled.status !== 0) throw new Error(`the build failed (exit ${compiled.status}): ${compiled.stdout}${compiled.stderr}`);
  fs.cpSync(path.join(ROOT, 'bin'), path.join(partial, 'bin'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(partial, 'package.json'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(partial, 'node_modules'));
  // The console's assets, as the image holds them next to dist/ (built by `npm ci`'s prepare step).
  fs.mkdirSync(path.join(partial, 'web'));
  fs.symlinkSync(path.join(ROOT, 'web', 'dist'), path.join(partial, 'web', 'dist'));
  try {
    fs.renameSync(partial, folder);
  } catch {
    // Another worker finished the same build first.
    fs.rmSync(partial, { recursive: true, force: true });
  }
  for (const name of fs.readdirSync(BUILD_FOLDER)) {
    const other = path.join(BUILD_FOLDER, name);
    if (other !== folder && Date.now() - fs.statSync(other).mtimeMs > BUILD_LIFETIME_MS) fs.rmSync(other, { recursive: true, force: true });
  }
}

/** Environment for a compiled command: the test process's own, without the settings a test must choose itself. */
export function commandEnvironment(settings: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !['DATABASE_URL', 'SQLITE_PATH', 'SEED_ON_START', 'TEST_DATABASE_URL', 'PILOTHUB_DEMO', 'NODE_ENV', 'JEST_WORKER_ID'].includes(name)),
  );
  return { ...inherited, LOG_LEVEL: 'warn', ...settings };
}

/** spawnHub's option that runs the build's compiled hub (`node dist/src/main.js`, the image's command) in its folder. */
export function compiledHub(build: CompiledBuild): { main: string; cwd: string } {
  return { main: path.join(build.folder, 'dist', 'src', 'main.js'), cwd: build.folder };
}
