// One file of a Hub repository into the Hugging Face cache: its bytes go to
// `blobs/<etag>.incomplete`, continued with a Range request when an earlier run was cut off,
// checked against the etag (sha256 for LFS files, the git blob hash for the others) and only
// then renamed to `blobs/<etag>` and linked from the snapshot. A killed download so never leaves
// a file that a later run loads. The HTTP (and Xet storage) side is @huggingface/hub's.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { downloadFile, type FileDownloadInfoOutput } from '@huggingface/hub';
import { blobPath, linkSnapshotFile } from './hub-cache.js';

/** How to reach the Hub: endpoint, token, and the fetch that reports an unreachable host. */
export interface HubAccess {
  hubUrl: string;
  accessToken?: string;
  fetch: typeof fetch;
}

export interface CacheTarget {
  repo: string;
  repoDir: string;
  commit: string;
  file: string;
}

/** The cache's name for a blob: the ETag without quotes or weak marker, as Python names it. */
export const blobName = (etag: string): string => etag.replace(/^W\//, '').replace(/^"+|"+$/g, '');

const sizeOf = (file: string): number => {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
};

const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

/** Bytes of the blob still to fetch (what an `.incomplete` file already holds is not). */
export function bytesToFetch(t: CacheTarget, info: FileDownloadInfoOutput): number {
  const blob = blobPath(t.repoDir, blobName(info.etag));
  if (fs.existsSync(blob)) return 0;
  const have = sizeOf(`${blob}.incomplete`);
  return have <= info.size ? info.size - have : info.size;
}

/** Fetch the file into the cache (unless its blob is there) and link it from the snapshot. */
export async function fetchIntoCache(t: CacheTarget, info: FileDownloadInfoOutput, access: HubAccess, onBytes: (n: number) => void): Promise<string> {
  const etag = blobName(info.etag);
  const blob = blobPath(t.repoDir, etag);
  if (!fs.existsSync(blob)) {
    await withBlobLock(t, etag, async () => {
      if (!fs.existsSync(blob)) await downloadBlob(t, info, blob, access, onBytes); // another process may have finished it
    });
  }
  return linkSnapshotFile(t.repoDir, t.commit, t.file, etag);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One writer per blob: two processes appending to the same `.incomplete` file would corrupt it.
 * The lock (`<cache>/.locks/models--ORG--NAME/<etag>.densetrain-lock`, beside Python's own locks)
 * holds the writer's pid; a lock whose process is gone is taken over.
 */
async function withBlobLock(t: CacheTarget, etag: string, fn: () => Promise<void>): Promise<void> {
  const lock = path.join(path.dirname(t.repoDir), '.locks', path.basename(t.repoDir), `${etag}.densetrain-lock`);
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  for (let told = false; ; ) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder = NaN;
    let age = 0;
    try {
      holder = Number(fs.readFileSync(lock, 'utf8'));
      age = Date.now() - fs.statSync(lock).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    // A lock without a pid is one being written, unless it has been so for seconds.
    if (Number.isInteger(holder) && holder > 0 ? !alive(holder) : age > 5000) {
      fs.rmSync(lock, { force: true });
      continue;
    }
    if (!told) process.stderr.write(`${t.repo}: another process (pid ${holder}) is downloading ${t.file}; waiting for it\n`);
    told = true;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  try {
    await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

async function downloadBlob(t: CacheTarget, info: FileDownloadInfoOutput, blob: string, access: HubAccess, onBytes: (n: number) => void): Promise<void> {
  fs.mkdirSync(path.dirname(blob), { recursive: true });
  const partial = `${blob}.incomplete`;
  let have = sizeOf(partial);
  if (have > info.size) {
    fs.rmSync(partial, { force: true });
    have = 0;
  }
  if (have < info.size) {
    const whole = await downloadFile({ repo: t.repo, path: t.file, revision: t.commit, downloadInfo: info, ...access });
    if (!whole) throw new Error(`${t.repo}: ${t.file} is no longer in the repository at ${t.commit}`);
    const rest = have > 0 ? whole.slice(have) : whole; // a Range request from the first missing byte
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        onBytes(chunk.length);
        done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(rest.stream() as never), count, fs.createWriteStream(partial, { flags: 'a' }));
    } catch (e) {
      const why = e instanceof Error ? (e.cause as Error | undefined)?.message ?? e.message : String(e);
      throw new Error(`${t.repo}: the download of ${t.file} stopped at ${mb(sizeOf(partial))} of ${mb(info.size)} (${why}); run the command again to resume it`);
    }
  }
  const got = sizeOf(partial);
  if (got !== info.size || !(await matchesEtag(partial, blobName(info.etag), got))) {
    fs.rmSync(partial, { force: true });
    const detail = got !== info.size ? `${got} bytes where the Hub announced ${info.size}` : 'its checksum differs from the Hub\'s ETag';
    throw new Error(`${t.repo}: the downloaded ${t.file} is not the Hub's file (${detail}); the partial file was removed, run the command again`);
  }
  fs.renameSync(partial, blob);
}

/** sha256 (LFS files) or git blob sha1 (the others) of the file against the etag; other etag
 * shapes are not checksums and are taken as they are. */
async function matchesEtag(file: string, etag: string, size: number): Promise<boolean> {
  let hash: crypto.Hash;
  if (/^[0-9a-f]{64}$/.test(etag)) hash = crypto.createHash('sha256');
  else if (/^[0-9a-f]{40}$/.test(etag)) hash = crypto.createHash('sha1').update(`blob ${size}\0`);
  else return true;
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex') === etag;
}
