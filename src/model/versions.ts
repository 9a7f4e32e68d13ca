// The versions of what actually runs: densetrain from its own package.json, other packages from
// theirs as Node resolves them, so records and model cards name real versions, never assumed ones.
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** densetrain's version: package.json is two levels up from both src/model/ and dist/model/. */
export function densetrainVersion(): string {
  return readVersion(new URL('../../package.json', import.meta.url)) ?? 'unknown';
}

/** An installed package's version, or undefined where it is not installed (optional peers). */
export function packageVersion(name: string): string | undefined {
  try {
    return readVersion(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

function readVersion(file: string | URL): string | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')).version;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
