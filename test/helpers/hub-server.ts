// A local stand-in for the Hugging Face Hub on 127.0.0.1, serving the requests @huggingface/hub
// makes, in the Hub's shapes: `GET /api/models/ORG/NAME/revision/REV` (sha, siblings) and
// `GET /ORG/NAME/resolve/REV/FILE` with X-Repo-Commit, ETag (git blob sha1) or X-Linked-Etag
// (sha256, LFS files), Range requests (206 + Content-Range), the Hub's 401/403/404 with
// X-Error-Code. Every request is recorded; a download can be cut off after N bytes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export type Files = Record<string, Buffer>;

export interface ServedRepo {
  /** branch or tag -> commit */
  refs: Record<string, string>;
  /** commit -> its files */
  commits: Record<string, Files>;
  access?: 'public' | 'private' | 'gated';
}

export interface ServedRequest {
  method: string;
  url: string;
  range?: string;
  authorization?: string;
}

export interface HubServer {
  url: string;
  requests: ServedRequest[];
  /** file path -> bytes after which the next full download of it is cut off (once) */
  cutAfter: Map<string, number>;
  close(): Promise<void>;
}

/** The token the server accepts for private and gated repos. */
export const GOOD_TOKEN = 'hf_good_token';

const isLfs = (file: string) => /\.(safetensors|bin|onnx|h5|msgpack|ot)$/.test(file);
export const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
export const gitBlobSha1 = (b: Buffer) => crypto.createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

/** All files under a folder, by relative path with `/`. */
export function readTree(dir: string, prefix = ''): Files {
  const out: Files = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, readTree(path.join(dir, e.name), rel));
    else out[rel] = fs.readFileSync(path.join(dir, e.name));
  }
  return out;
}

function refuse(res: http.ServerResponse, status: number, code: string, message: string) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'X-Error-Code': code });
  res.end(JSON.stringify({ error: message }));
}

export async function startHubServer(repos: Record<string, ServedRepo>): Promise<HubServer> {
  const requests: ServedRequest[] = [];
  const cutAfter = new Map<string, number>();

  /** The repo and commit a request may read, or undefined after refusing it. A gated repo's
   * metadata is public, as on the Hub; its files are not. */
  function authorize(req: http.IncomingMessage, res: http.ServerResponse, repoName: string, rev: string, files: boolean): { repo: ServedRepo; commit: string } | undefined {
    const repo = repos[repoName];
    const auth = req.headers.authorization;
    if (!repo) return void refuse(res, auth ? 404 : 401, 'RepoNotFound', 'Repository not found');
    if (repo.access === 'private' && auth !== `Bearer ${GOOD_TOKEN}`) return void refuse(res, 401, 'RepoNotFound', 'Repository not found');
    if (repo.access === 'gated' && files && auth !== `Bearer ${GOOD_TOKEN}`) {
      return void refuse(res, auth ? 403 : 401, 'GatedRepo', `Access to model ${repoName} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
    }
    const commit = repo.refs[rev] ?? (repo.commits[rev] ? rev : undefined);
    if (!commit) return void refuse(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    return { repo, commit };
  }

  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', range: req.headers.range, authorization: req.headers.authorization });
    const url = new URL(req.url ?? '/', 'http://x');
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(url.pathname);
    if (api) {
      const ok = authorize(req, res, api[1], decodeURIComponent(api[2]), false);
      if (!ok) return;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({
        _id: `id-${api[1]}`, id: api[1], private: ok.repo.access === 'private', gated: ok.repo.access === 'gated' ? 'auto' : false,
        downloads: 0, likes: 0, lastModified: '2026-01-01T00:00:00.000Z', sha: ok.commit,
        siblings: Object.keys(ok.repo.commits[ok.commit]).map((rfilename) => ({ rfilename })),
      }));
      return;
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (!resolve) return refuse(res, 404, 'NotFound', 'Not found');
    const ok = authorize(req, res, resolve[1], decodeURIComponent(resolve[2]), true);
    if (!ok) return;
    const file = decodeURIComponent(resolve[3]);
    const body = ok.repo.commits[ok.commit][file];
    if (!body) return refuse(res, 404, 'EntryNotFound', `${file} does not exist on "${resolve[2]}"`);
    const headers: Record<string, string> = { 'X-Repo-Commit': ok.commit, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
    if (isLfs(file)) Object.assign(headers, { ETag: `"${sha256(body)}"`, 'X-Linked-Etag': `"${sha256(body)}"`, 'X-Linked-Size': String(body.length) });
    else headers.ETag = `"${gitBlobSha1(body)}"`;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] === '' ? body.length - 1 : Math.min(Number(range[2]), body.length - 1);
      res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${body.length}`, 'Content-Length': String(end - start + 1) });
      res.end(body.subarray(start, end + 1));
      return;
    }
    const cut = cutAfter.get(file);
    res.writeHead(200, { ...headers, 'Content-Length': String(body.length) });
    if (cut === undefined) return void res.end(body);
    cutAfter.delete(file);
    res.write(body.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 50));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    cutAfter,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}
