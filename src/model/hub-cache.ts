// The Hugging Face cache, laid out as huggingface_hub (Python) lays it out, so that both share
// files: `<cache>/models--ORG--NAME/{blobs/<etag>, snapshots/<commit>/<file> -> blob, refs/<rev>}`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getHFHubCachePath, getRepoFolderName } from '@huggingface/hub';
import { writeFileAtomically } from '../atomic-file.js';

/** HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub (the library reads them as Python does). */
export const hubCacheDir = (): string => getHFHubCachePath();

/** HF_HOME, else ~/.cache/huggingface: where `hf auth login` keeps the token. */
export const hfHome = (env: NodeJS.ProcessEnv = process.env): string =>
  env.HF_HOME ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'huggingface');

/** `<cache>/models--ORG--NAME` */
export const repoCacheDir = (cache: string, repo: string): string => path.join(cache, getRepoFolderName({ type: 'model', name: repo }));

export const snapshotDir = (repoDir: string, commit: string): string => path.join(repoDir, 'snapshots', commit);
export const blobPath = (repoDir: string, etag: string): string => path.join(repoDir, 'blobs', etag);
const refPath = (repoDir: string, revision: string): string => path.join(repoDir, 'refs', ...revision.split('/'));

/** The commit a branch or tag was last seen at, from refs/<revision>; undefined if never seen. */
export function readRef(repoDir: string, revision: string): string | undefined {
  try {
    const commit = fs.readFileSync(refPath(repoDir, revision), 'utf8').trim();
    return /^[0-9a-f]{40}$/.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

/** Record that `revision` is at `commit` (written to a temporary name, then renamed). */
export function writeRef(repoDir: string, revision: string, commit: string): void {
  if (revision === commit) return;
  const file = refPath(repoDir, revision);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomically(file, commit);
}

/** Point snapshots/<commit>/<file> at the blob: a relative link as Python makes, a copy where
 * links are not allowed. The link is made under a temporary name and renamed into place. */
export function linkSnapshotFile(repoDir: string, commit: string, file: string, etag: string): string {
  const target = path.join(snapshotDir(repoDir, commit), file);
  const blob = blobPath(repoDir, etag);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  try {
    fs.symlinkSync(path.relative(path.dirname(target), blob), tmp);
  } catch {
    fs.copyFileSync(blob, tmp);
  }
  fs.renameSync(tmp, target);
  return target;
}

/** A snapshot file that resolves to a blob (a dangling link counts as absent). */
export function hasSnapshotFile(repoDir: string, commit: string, file: string): boolean {
  try {
    return fs.statSync(path.join(snapshotDir(repoDir, commit), file)).isFile();
  } catch {
    return false;
  }
}
