// A model argument to a model folder: a local path as it is, a Hugging Face Hub id
// (`ORG/NAME[@revision]`) as its snapshot folder in the Hugging Face cache, downloading the files
// the model needs first. HF_ENDPOINT, HF_TOKEN (or the token `hf auth login` saved) and
// HF_HUB_OFFLINE are honoured as huggingface_hub honours them.
import fs from 'node:fs';
import path from 'node:path';
import { fileDownloadInfo, type FileDownloadInfoOutput, modelInfo } from '@huggingface/hub';
import { downloadProgress } from './download-progress.js';
import { hasSnapshotFile, hfHome, hubCacheDir, readRef, repoCacheDir, snapshotDir, writeRef } from './hub-cache.js';
import { bytesToFetch, fetchIntoCache, type HubAccess } from './hub-download.js';
import { explainHubError, hubFetch, HubUnreachable, type RefusalContext } from './hub-errors.js';
import { METADATA_FILES, moduleDir, type ModuleEntry, neededFiles } from './hub-files.js';
import { type HubId, isCommitHash, parseHubId } from './hub-id.js';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

/** The folder of a model argument: a path unchanged, a Hub id downloaded (or found) in the cache. */
export async function resolveModel(pathOrId: string): Promise<string> {
  const id = parseHubId(pathOrId);
  return id ? downloadModel(id) : pathOrId;
}

/** A repository file name that stays inside the snapshot folder. */
const isSafeName = (f: string): boolean => f !== '' && !path.isAbsolute(f) && !f.split(/[\\/]/).some((p) => p === '..' || /^[A-Za-z]:/.test(p));

/** Python's reading of a boolean environment variable. */
const isTrue = (v: string | undefined): boolean => ['1', 'ON', 'YES', 'TRUE'].includes((v ?? '').trim().toUpperCase());

/** HF_TOKEN, else the token file `hf auth login` writes (HF_TOKEN_PATH, else HF_HOME/token). */
function readToken(env: NodeJS.ProcessEnv): string | undefined {
  const fromEnv = (env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN)?.trim();
  if (fromEnv) return fromEnv;
  try {
    return fs.readFileSync(env.HF_TOKEN_PATH ?? path.join(hfHome(env), 'token'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The snapshot folder of the id, downloading what is missing. */
export async function downloadModel(id: HubId, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const repoDir = repoCacheDir(hubCacheDir(), id.repo);
  if (isTrue(env.HF_HUB_OFFLINE)) return cachedSnapshot(id, repoDir, 'HF_HUB_OFFLINE is set');
  // A commit never moves: once its snapshot is complete nothing needs asking.
  if (isCommitHash(id.revision) && missingFile(repoDir, id.revision) === undefined) return snapshotDir(repoDir, id.revision);

  const hubUrl = (env.HF_ENDPOINT || DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const { fetch, lastErrorCode } = hubFetch(hubUrl);
  const access: HubAccess = { hubUrl, accessToken: readToken(env), fetch };
  const context = (): RefusalContext => ({ ...id, hubUrl, hasToken: access.accessToken !== undefined, errorCode: lastErrorCode() });
  try {
    const info = await modelInfo({ name: id.repo, revision: id.revision, additionalFields: ['sha', 'filePaths'], ...access });
    const commit = info.sha;
    if (typeof commit !== 'string' || !isCommitHash(commit)) throw new Error(`${id.text}: ${hubUrl} did not say which commit "${id.revision}" is (no "sha" in its answer); is HF_ENDPOINT a Hugging Face Hub?`);
    const siblings = (info.filePaths ?? []).filter(isSafeName);
    const target = { repo: id.repo, repoDir, commit };
    const first = await fetchFiles(id, target, METADATA_FILES.filter((f) => siblings.includes(f)), access);
    const modules = readJson(repoDir, commit, 'modules.json') as ModuleEntry[] | undefined;
    const index = readJson(repoDir, commit, 'model.safetensors.index.json') as { weight_map?: Record<string, string> } | undefined;
    const files = neededFiles(id.repo, siblings, modules, index);
    const rest = await fetchFiles(id, target, files, access);
    writeRef(repoDir, id.revision, commit); // last: a ref points only at a complete snapshot
    const [n, bytes] = [first.files + rest.files, first.bytes + rest.bytes];
    if (n > 0) process.stderr.write(`downloaded ${id.repo}@${commit.slice(0, 12)}: ${n} files, ${(bytes / 1e6).toFixed(1)} MB -> ${snapshotDir(repoDir, commit)}\n`);
    return snapshotDir(repoDir, commit);
  } catch (e) {
    if (e instanceof HubUnreachable) {
      const commit = isCommitHash(id.revision) ? id.revision : readRef(repoDir, id.revision);
      if (commit && missingFile(repoDir, commit) === undefined) {
        process.stderr.write(`${id.text}: ${e.message}; using the cached snapshot ${commit.slice(0, 12)} (set HF_HUB_OFFLINE=1 to skip the check)\n`);
        return snapshotDir(repoDir, commit);
      }
      throw new Error(`${id.text}: no such local folder; ${e.message} to download the model, and it is not in the Hugging Face cache (${repoDir}); check the network or HF_ENDPOINT (with HF_HUB_OFFLINE=1 only cached models are used)`);
    }
    throw explainHubError(e, context());
  }
}

/** Fetch the files the snapshot lacks (sizes and ETags first, for the bar's total): how many, how many bytes. */
async function fetchFiles(id: HubId, target: { repo: string; repoDir: string; commit: string }, files: string[], access: HubAccess): Promise<{ files: number; bytes: number }> {
  const missing = files.filter((f) => !hasSnapshotFile(target.repoDir, target.commit, f));
  if (missing.length === 0) return { files: 0, bytes: 0 };
  const infos: [string, FileDownloadInfoOutput][] = [];
  for (const file of missing) {
    const info = await fileDownloadInfo({ repo: id.repo, path: file, revision: target.commit, ...access });
    if (!info) throw new Error(`${id.text}: ${file} is listed in the repository but cannot be downloaded from ${access.hubUrl}`);
    infos.push([file, info]);
  }
  const total = infos.reduce((n, [file, info]) => n + bytesToFetch({ ...target, file }, info), 0);
  const bar = downloadProgress(`downloading ${id.text}`, total);
  try {
    for (const [file, info] of infos) await fetchIntoCache({ ...target, file }, info, access, (n) => bar.add(n));
  } finally {
    bar.done();
  }
  return { files: infos.length, bytes: total };
}

function readJson(repoDir: string, commit: string, file: string): unknown {
  const p = path.join(snapshotDir(repoDir, commit), file);
  if (!fs.existsSync(p)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(p, 'utf8'));
  } catch (e) {
    throw new Error(`${p}: not valid JSON (${(e as Error).message})`);
  }
}

/**
 * The first file a loadable snapshot lacks (config, tokenizer, weights and every shard, the
 * pooling config), or undefined when complete: what decides that a cached copy may be used
 * without asking the Hub.
 */
function missingFile(repoDir: string, commit: string): string | undefined {
  const has = (f: string) => hasSnapshotFile(repoDir, commit, f);
  for (const f of ['config.json', 'tokenizer.json']) if (!has(f)) return f;
  const index = has('model.safetensors.index.json') ? (readJson(repoDir, commit, 'model.safetensors.index.json') as { weight_map?: Record<string, string> }) : undefined;
  const weights = index ? [...new Set(Object.values(index.weight_map ?? {}))] : ['model.safetensors'];
  for (const f of weights) if (!has(f)) return f;
  const modules = (has('modules.json') ? readJson(repoDir, commit, 'modules.json') : []) as ModuleEntry[];
  for (const m of Array.isArray(modules) ? modules : []) {
    const dir = moduleDir(m);
    if (dir !== '' && dir !== '.' && String(m.type).endsWith('Pooling') && !has(`${dir}/config.json`)) return `${dir}/config.json`;
  }
  return undefined;
}

/** The cached snapshot of the id, without any request. */
function cachedSnapshot(id: HubId, repoDir: string, why: string): string {
  const commit = isCommitHash(id.revision) ? id.revision : readRef(repoDir, id.revision);
  if (!commit || !fs.existsSync(snapshotDir(repoDir, commit))) {
    throw new Error(`${id.text}: no such local folder, and not in the Hugging Face cache (${repoDir}${commit ? '' : `, no refs/${id.revision}`}) and ${why}, so nothing is downloaded; run once with network access (HF_HUB_OFFLINE unset) to download it`);
  }
  const missing = missingFile(repoDir, commit);
  if (missing) throw new Error(`${id.text}: the cached snapshot ${snapshotDir(repoDir, commit)} lacks ${missing} (a download did not finish) and ${why}; run once with network access to complete it`);
  return snapshotDir(repoDir, commit);
}
