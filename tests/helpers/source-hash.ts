import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.join(__dirname, '..', '..');

/**
 * A hash of the files (path and contents) under the given paths of the repository, folders recursively: what a
 * cached artefact built from them (a database image, a compiled build) is named after, so only the sources that
 * built it reuse it.
 */
export function sourceHash(paths: readonly string[]): string {
  const hash = createHash('sha256');
  const visit = (full: string): void => {
    const stat = fs.statSync(full);
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(full).sort()) visit(path.join(full, name));
    } else if (stat.isFile()) {
      hash.update(`${path.relative(ROOT, full)}\0`).update(fs.readFileSync(full)).update('\0');
    }
  };
  for (const relative of paths) {
    if (fs.existsSync(path.join(ROOT, relative))) visit(path.join(ROOT, relative));
  }
  return hash.digest('hex').slice(0, 24);
}
