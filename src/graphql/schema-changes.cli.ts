/**
 * `npm run schema:breaking`: compares schema/schema.graphql with the one of the previous commit (HEAD~1; on a
 * first commit or a shallow clone, the merge-base with origin/main when there is one) and fails on breaking
 * changes that are neither deprecated with a past removal date nor listed in schema/breaking-changes.json.
 * `--base <revision>` compares with another commit (e.g. `--base HEAD` before committing).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { compareSchemas, parseAllowList } from './schema-changes';

const ROOT = path.join(__dirname, '..', '..');
/** The committed SDL, relative to the repository (as git show names it). */
const SCHEMA_PATH = 'schema/schema.graphql';
const ALLOW_LIST = path.join(ROOT, 'schema', 'breaking-changes.json');

function git(...args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 });
  } catch {
    return null;
  }
}

/** The revision to compare with, or null (with the reason printed) when there is none. */
function baseRevision(): string | null {
  const index = process.argv.indexOf('--base');
  if (index >= 0) return process.argv[index + 1] ?? null;
  if (git('rev-parse', '--verify', '--quiet', 'HEAD~1^{commit}') !== null) return 'HEAD~1';
  const mergeBase = git('merge-base', 'HEAD', 'origin/main')?.trim();
  if (mergeBase && mergeBase !== git('rev-parse', 'HEAD')?.trim()) return mergeBase;
  console.log('schema:breaking: no previous commit (first commit or shallow clone) and no origin/main to compare with: nothing to check');
  return null;
}

function main(): void {
  const base = baseRevision();
  if (base === null) return;
  const previous = git('show', `${base}:${SCHEMA_PATH}`);
  if (previous === null) {
    console.log(`schema:breaking: ${base} has no ${SCHEMA_PATH}: nothing to compare with`);
    return;
  }
  const current = fs.readFileSync(path.join(ROOT, SCHEMA_PATH), 'utf8');
  const allowList = fs.existsSync(ALLOW_LIST) ? parseAllowList(fs.readFileSync(ALLOW_LIST, 'utf8')) : [];
  const today = new Date().toISOString().slice(0, 10);
  const { refused, accepted, dangerous } = compareSchemas(previous, current, allowList, today);
  for (const change of dangerous) console.log(`warning: dangerous change ${change.type}: ${change.description}`);
  for (const change of accepted) console.log(`accepted breaking change ${change.type}: ${change.description} — ${change.why}`);
  if (refused.length > 0) {
    console.error(`schema/schema.graphql breaks clients compared with ${base}:`);
    for (const change of refused) console.error(`  ${change.type}: ${change.description}`);
    console.error(
      'Deprecate first (@deprecated(reason: "… removal after YYYY-MM-DD")) and remove after that date, or add each change ' +
        'to schema/breaking-changes.json as { "change": "<text above>", "reason": "…", "date": "YYYY-MM-DD" } (README: Schema evolution).',
    );
    process.exit(1);
  }
  console.log(`schema/schema.graphql has no unaccepted breaking change compared with ${base}`);
}

try {
  main();
} catch (error: unknown) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
