// File globs for `data.train` (`data/*.parquet`, `shards/**/part-?.jsonl.gz`, `{de,fr}.jsonl`),
// through tinyglobby (Node 20 has no fs.glob).
import { globSync, isDynamicPattern } from 'tinyglobby';

export function hasGlob(pattern: string): boolean {
  return isDynamicPattern(pattern);
}

/** Paths matching the pattern, sorted so that file order does not depend on the file system. */
export function expandGlob(pattern: string): string[] {
  const absolute = pattern.startsWith('/');
  return globSync(pattern, { absolute, expandDirectories: false, onlyFiles: true }).sort();
}
