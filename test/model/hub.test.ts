// Hub ids as models: downloads into the Hugging Face cache layout from a local stand-in of the Hub
// (test/helpers/hub-server.ts), requests counted; nothing here touches the real network.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { downloadProgress } from '../../src/model/download-progress.js';
import { readModelFolder } from '../../src/model/folder.js';
import { resolveModel } from '../../src/model/hub.js';
import { neededFiles } from '../../src/model/hub-files.js';
import { type Files, GOOD_TOKEN, gitBlobSha1, type HubServer, readTree, sha256, startHubServer } from '../helpers/hub-server.js';

const FIXTURE = path.resolve('test/fixtures/tiny-bert');
const tinyBert = readTree(FIXTURE);
const step1Weights = fs.readFileSync(path.resolve('test/fixtures/tiny-bert.after_step1.safetensors'));
const commit = (s: string) => crypto.createHash('sha1').update(s).digest('hex');
const MAIN = commit('main');
const V1 = commit('v1');
/** What a Hub repository holds besides the model's files: never to be fetched. */
const EXTRAS: Files = {
  'pytorch_model.bin': Buffer.from('torch weights'),
  'tf_model.h5': Buffer.from('keras weights'),
  'flax_model.msgpack': Buffer.from('flax weights'),
  'rust_model.ot': Buffer.from('rust weights'),
  'onnx/model.onnx': Buffer.from('onnx graph'),
  'README.md': Buffer.from('# tiny-bert\n'),
  '.gitattributes': Buffer.from('*.safetensors filter=lfs\n'),
};
const NEEDED = Object.keys(tinyBert).sort();

let server: HubServer;
let home: string;
const saved = { ...process.env };

beforeAll(async () => {
  const { 'model.safetensors': _, ...noWeights } = tinyBert;
  server = await startHubServer({
    'org/tiny-bert': { refs: { main: MAIN, v1: V1 }, commits: { [MAIN]: { ...tinyBert, ...EXTRAS }, [V1]: { ...tinyBert, 'model.safetensors': step1Weights } } },
    'org/private': { refs: { main: MAIN }, commits: { [MAIN]: tinyBert }, access: 'private' },
    'org/gated': { refs: { main: MAIN }, commits: { [MAIN]: tinyBert }, access: 'gated' },
    'org/escape': {
      refs: { main: MAIN },
      commits: { [MAIN]: { ...tinyBert, 'modules.json': Buffer.from(JSON.stringify([{ path: '', type: 'Transformer' }, { path: 'x/../../y', type: 'Pooling' }])), 'x/../../y/config.json': Buffer.from('{}') } },
    },
    'org/torch-only': { refs: { main: MAIN }, commits: { [MAIN]: { ...noWeights, 'pytorch_model.bin': Buffer.from('torch') } } },
  });
});
afterAll(() => server.close());

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'hf-home-'));
  for (const k of ['HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_TOKEN_PATH', 'HF_HUB_OFFLINE', 'HF_HUB_ETAG_TIMEOUT']) delete process.env[k];
  process.env.HF_HOME = home;
  process.env.HF_ENDPOINT = server.url;
  server.requests.length = 0;
});
afterEach(() => {
  process.env = { ...saved };
  fs.rmSync(home, { recursive: true, force: true });
});

const repoDir = (repo = 'org/tiny-bert', cache = path.join(home, 'hub')) => path.join(cache, `models--${repo.replace('/', '--')}`);
const fileRequests = () => server.requests.filter((r) => r.url.includes('/resolve/'));
/** Every file under a folder, by relative path (links followed). */
const listTree = (dir: string) => Object.keys(readTree(dir)).sort();

describe('Hub ids as models', () => {
  it('downloads what the model needs into the Hugging Face cache layout, shared blobs and relative links', async () => {
    const dir = await resolveModel('org/tiny-bert');
    expect(dir).toBe(path.join(repoDir(), 'snapshots', MAIN));
    expect(listTree(dir)).toEqual(NEEDED);
    for (const file of NEEDED) {
      const body = tinyBert[file];
      const etag = file.endsWith('.safetensors') ? sha256(body) : gitBlobSha1(body);
      const link = path.join(dir, file);
      expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
      expect(fs.readlinkSync(link)).toBe(path.relative(path.dirname(link), path.join(repoDir(), 'blobs', etag)));
      expect(fs.readFileSync(link).equals(body)).toBe(true);
    }
    expect(fs.readFileSync(path.join(repoDir(), 'refs', 'main'), 'utf8')).toBe(MAIN);
    expect(fs.readdirSync(path.join(repoDir(), 'blobs')).some((f) => f.endsWith('.incomplete'))).toBe(false);
    // Not README, not the other weight formats, not even asked for.
    const asked = fileRequests().map((r) => decodeURIComponent(r.url.split(`/resolve/${MAIN}/`)[1]));
    expect([...new Set(asked)].sort()).toEqual(NEEDED);
    for (const extra of Object.keys(EXTRAS)) expect(asked).not.toContain(extra);
    // and it loads as the fixture folder does
    const [got, want] = [readModelFolder(dir), readModelFolder(FIXTURE)];
    expect([got.pooling, got.normalize, got.maxSeqLength]).toEqual([want.pooling, want.normalize, want.maxSeqLength]);
    expect(Object.keys(got.weights).sort()).toEqual(Object.keys(want.weights).sort());
  });

  it('a second run downloads nothing: main costs one metadata request, a pinned commit none', async () => {
    const first = await resolveModel('org/tiny-bert');
    server.requests.length = 0;
    expect(await resolveModel('org/tiny-bert')).toBe(first);
    // The commit of main is asked, as huggingface_hub does, so that a new commit is seen.
    expect(server.requests.map((r) => r.url.split('?')[0])).toEqual([`/api/models/org/tiny-bert/revision/main`]);
    server.requests.length = 0;
    expect(await resolveModel(`org/tiny-bert@${MAIN}`)).toBe(first);
    expect(server.requests).toEqual([]);
  });

  it('pins a revision: a tag resolves to its commit, recorded in refs/; a commit hash after that asks nothing', async () => {
    const main = await resolveModel('org/tiny-bert');
    const v1 = await resolveModel('org/tiny-bert@v1');
    expect(v1).toBe(path.join(repoDir(), 'snapshots', V1));
    expect(fs.readFileSync(path.join(v1, 'model.safetensors')).equals(step1Weights)).toBe(true);
    expect(fs.readFileSync(path.join(main, 'model.safetensors')).equals(tinyBert['model.safetensors'])).toBe(true);
    expect(fs.readFileSync(path.join(repoDir(), 'refs', 'v1'), 'utf8')).toBe(V1);
    expect(fs.readFileSync(path.join(repoDir(), 'refs', 'main'), 'utf8')).toBe(MAIN);
    // The files both commits share are one blob each: 2 weight blobs + the shared others.
    expect(fs.readdirSync(path.join(repoDir(), 'blobs')).length).toBe(NEEDED.length + 1);
    server.requests.length = 0;
    expect(await resolveModel(`org/tiny-bert@${V1}`)).toBe(v1);
    expect(server.requests).toEqual([]);
  });

  it('uses HF_HUB_CACHE before HF_HOME', async () => {
    const cache = path.join(home, 'elsewhere');
    process.env.HF_HUB_CACHE = cache;
    expect(await resolveModel('org/tiny-bert')).toBe(path.join(repoDir('org/tiny-bert', cache), 'snapshots', MAIN));
    expect(fs.existsSync(path.join(home, 'hub'))).toBe(false);
  });

  it('a private model: 401 says to set HF_TOKEN; HF_TOKEN (or the saved login token) is sent with every request', async () => {
    await expect(resolveModel('org/private')).rejects.toThrow(/^org\/private: no such local folder, and http:\/\/127\.0\.0\.1:\d+ refused access \(401\): no such model, or a private or gated one; set HF_TOKEN to an access token/);
    process.env.HF_TOKEN = GOOD_TOKEN;
    server.requests.length = 0;
    expect(listTree(await resolveModel('org/private'))).toEqual(NEEDED);
    expect(server.requests.length).toBeGreaterThan(0);
    expect(server.requests.every((r) => r.authorization === `Bearer ${GOOD_TOKEN}`)).toBe(true);
    // `hf auth login` keeps the token in HF_HOME/token
    delete process.env.HF_TOKEN;
    fs.rmSync(path.join(home, 'hub'), { recursive: true });
    fs.writeFileSync(path.join(home, 'token'), `${GOOD_TOKEN}\n`);
    expect(listTree(await resolveModel('org/private'))).toEqual(NEEDED);
  });

  it('a gated model: says to accept its terms and set HF_TOKEN (401 without a token, 403 with one that has no access)', async () => {
    await expect(resolveModel('org/gated')).rejects.toThrow(/^org\/gated: the model is gated on http:\/\/127\.0\.0\.1:\d+ \(401\): accept its terms at http:\/\/127\.0\.0\.1:\d+\/org\/gated while logged in, and set HF_TOKEN/);
    process.env.HF_TOKEN = 'hf_no_access';
    await expect(resolveModel('org/gated')).rejects.toThrow(/\(403\): accept its terms .* make sure HF_TOKEN is a token of that account$/);
    process.env.HF_TOKEN = 'not-a-token';
    await expect(resolveModel('org/gated')).rejects.toThrow(/^org\/gated: HF_TOKEN is not a Hugging Face access token/);
  });

  it('404: an unknown model or revision is one line naming it', async () => {
    process.env.HF_TOKEN = GOOD_TOKEN; // with a token the Hub says 404 rather than 401
    await expect(resolveModel('org/nope')).rejects.toThrow(/^org\/nope: no such local folder, and no model org\/nope on http:\/\/127\.0\.0\.1:\d+$/);
    await expect(resolveModel('org/tiny-bert@v9')).rejects.toThrow(/^org\/tiny-bert@v9: the model has no revision "v9" on http/);
  });

  it('offline (HF_HUB_OFFLINE=1): the cached snapshot through refs/, no request; a clear error when not cached', async () => {
    process.env.HF_HUB_OFFLINE = '1';
    await expect(resolveModel('org/tiny-bert')).rejects.toThrow(/^org\/tiny-bert: no such local folder, and not in the Hugging Face cache .* and HF_HUB_OFFLINE is set, so nothing is downloaded; run once with network access/);
    expect(server.requests).toEqual([]);
    delete process.env.HF_HUB_OFFLINE;
    const dir = await resolveModel('org/tiny-bert@v1');
    process.env.HF_HUB_OFFLINE = 'true';
    server.requests.length = 0;
    expect(await resolveModel('org/tiny-bert@v1')).toBe(dir);
    expect(server.requests).toEqual([]);
  });

  it('no network: falls back to the cache; when not cached, says so and points at HF_HUB_OFFLINE', async () => {
    const closed = http.createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((ok) => closed.close(() => ok()));
    const dir = await resolveModel('org/tiny-bert');
    process.env.HF_ENDPOINT = `http://127.0.0.1:${port}`;
    expect(await resolveModel('org/tiny-bert')).toBe(dir);
    await expect(resolveModel('org/private')).rejects.toThrow(/^org\/private: no such local folder; cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\) to download the model, and it is not in the Hugging Face cache .*HF_HUB_OFFLINE=1/);
    // A host that never answers: given up after HF_HUB_ETAG_TIMEOUT seconds, then the cache.
    const silent = http.createServer(() => {});
    await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
    try {
      process.env.HF_ENDPOINT = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      process.env.HF_HUB_ETAG_TIMEOUT = '0.5';
      const started = Date.now();
      expect(await resolveModel('org/tiny-bert')).toBe(dir);
      expect(Date.now() - started).toBeLessThan(3000);
      await expect(resolveModel('org/private')).rejects.toThrow(/^org\/private: no such local folder; cannot reach http:\/\/127\.0\.0\.1:\d+ \(no answer in 0\.5 s\) to download the model/);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((ok) => silent.close(() => ok()));
    }
  });

  it('an interrupted download leaves no loadable file and is resumed with a Range request', async () => {
    const weights = tinyBert['model.safetensors'];
    server.cutAfter.set('model.safetensors', 60000);
    await expect(resolveModel('org/tiny-bert')).rejects.toThrow(/^org\/tiny-bert: the download of model\.safetensors stopped at 0\.1 MB of 0\.2 MB \(.*\); run the command again to resume it$/);
    const blob = path.join(repoDir(), 'blobs', sha256(weights));
    const dir = path.join(repoDir(), 'snapshots', MAIN);
    expect(fs.statSync(`${blob}.incomplete`).size).toBe(60000);
    expect(fs.existsSync(blob)).toBe(false);
    expect(fs.existsSync(path.join(dir, 'model.safetensors'))).toBe(false);
    expect(fs.existsSync(path.join(repoDir(), 'refs', 'main'))).toBe(false);
    expect(() => readModelFolder(dir)).toThrow();
    process.env.HF_HUB_OFFLINE = '1';
    await expect(resolveModel(`org/tiny-bert@${MAIN}`)).rejects.toThrow(/lacks model\.safetensors \(a download did not finish\)/);
    delete process.env.HF_HUB_OFFLINE;

    server.requests.length = 0;
    expect(await resolveModel('org/tiny-bert')).toBe(dir);
    const weightGets = fileRequests().filter((r) => r.url.endsWith('/model.safetensors') && r.range !== 'bytes=0-0');
    expect(weightGets.map((r) => r.range)).toEqual([`bytes=60000-${weights.length - 1}`]);
    expect(fs.readFileSync(path.join(dir, 'model.safetensors')).equals(weights)).toBe(true);
    expect(fs.existsSync(`${blob}.incomplete`)).toBe(false);
  });

  it('a partial file that does not match the ETag is removed, never renamed into a blob', async () => {
    const weights = tinyBert['model.safetensors'];
    const blob = path.join(repoDir(), 'blobs', sha256(weights));
    fs.mkdirSync(path.dirname(blob), { recursive: true });
    fs.writeFileSync(`${blob}.incomplete`, Buffer.alloc(weights.length, 7)); // full length, wrong bytes
    await expect(resolveModel('org/tiny-bert')).rejects.toThrow(/^org\/tiny-bert: the downloaded model\.safetensors is not the Hub's file \(its checksum differs from the Hub's ETag\); the partial file was removed, run the command again$/);
    expect(fs.existsSync(blob)).toBe(false);
    expect(fs.existsSync(`${blob}.incomplete`)).toBe(false);
    expect(fs.readFileSync(path.join(await resolveModel('org/tiny-bert'), 'model.safetensors')).equals(weights)).toBe(true);
  });

  it('no safetensors: says how to convert, and downloads no weights', async () => {
    await expect(resolveModel('org/torch-only')).rejects.toThrow(
      /^org\/torch-only: no model\.safetensors in the repository \(it has pytorch_model\.bin\); densetrain reads safetensors weights only\. Convert it with the Hub's "Convert to Safetensors" Space .* SentenceTransformer\('org\/torch-only'\)\.save\('DIR', safe_serialization=True\)" and pass --model DIR$/,
    );
    expect(fileRequests().some((r) => r.url.endsWith('.bin'))).toBe(false);
  });

  it('a local path is never taken for a Hub id, even one shaped ORG/NAME', async () => {
    expect(await resolveModel('test/fixtures')).toBe('test/fixtures');
    expect(await resolveModel('./models/x')).toBe('./models/x');
    expect(await resolveModel('a/b/c')).toBe('a/b/c');
    expect(server.requests).toEqual([]);
  });

  it('waits for another process downloading the same blob; takes over the lock of one that is gone', async () => {
    const lockDir = path.join(home, 'hub', '.locks', 'models--org--tiny-bert');
    const lock = path.join(lockDir, `${sha256(tinyBert['model.safetensors'])}.densetrain-lock`);
    fs.mkdirSync(lockDir, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', '']).pid!; // exited: its lock is stale
    fs.writeFileSync(lock, String(dead));
    await resolveModel('org/tiny-bert');
    expect(fs.existsSync(lock)).toBe(false);

    fs.rmSync(path.join(home, 'hub', 'models--org--tiny-bert'), { recursive: true });
    fs.writeFileSync(lock, String(process.ppid)); // a live process holds it
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      let settled = false;
      const pending = resolveModel('org/tiny-bert').finally(() => (settled = true));
      await new Promise((ok) => setTimeout(ok, 600));
      expect(settled).toBe(false);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toContain(`org/tiny-bert: another process (pid ${process.ppid}) is downloading model.safetensors; waiting for it`);
      fs.rmSync(lock);
      expect(fs.readFileSync(path.join(await pending, 'model.safetensors')).equals(tinyBert['model.safetensors'])).toBe(true);
    } finally {
      err.mockRestore();
    }
  });

  it('the progress bar: bytes of the total on a terminal, nothing on a pipe', () => {
    const out: string[] = [];
    const stream = (isTTY: boolean) => ({ isTTY, write: (s: string) => out.push(s) }) as unknown as NodeJS.WriteStream;
    const bar = downloadProgress('downloading org/x', 4e6, stream(true));
    bar.add(1e6);
    bar.add(3e6);
    bar.done();
    expect(out[0]).toMatch(/^\rdownloading org\/x \[#{8}\.{22}\] 1\.0\/4\.0 MB [\d.]+ MB\/s {2}$/);
    expect(out[1]).toMatch(/^\rdownloading org\/x \[#{30}\] 4\.0\/4\.0 MB/);
    expect(out.at(-1)).toBe('\r\x1b[K');
    out.length = 0;
    const quiet = downloadProgress('downloading org/x', 4e6, stream(false));
    quiet.add(4e6);
    quiet.done();
    expect(out).toEqual([]);
  });

  it('picks the shards a safetensors index names, and the files of module folders but their .bin', () => {
    const siblings = ['config.json', 'tokenizer.json', 'vocab.txt', 'README.md', 'pytorch_model.bin', 'model.safetensors.index.json',
      'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.fp16.safetensors', 'modules.json',
      '1_Pooling/config.json', '2_Dense/config.json', '2_Dense/model.safetensors', '2_Dense/pytorch_model.bin', 'onnx/config.json', 'onnx/model.onnx'];
    const index = { weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors', c: 'model-00001-of-00002.safetensors' } };
    const modules = [{ path: '' }, { path: '1_Pooling' }, { path: '2_Dense/' }];
    expect(neededFiles('o/n', siblings, modules, index).sort()).toEqual([
      '1_Pooling/config.json', '2_Dense/config.json', '2_Dense/model.safetensors', 'config.json', 'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors', 'model.safetensors.index.json', 'modules.json', 'tokenizer.json', 'vocab.txt',
    ]);
    expect(() => neededFiles('o/n', siblings.filter((f) => !f.startsWith('model-00002')), modules, index)).toThrow(
      'o/n: model.safetensors.index.json names model-00002-of-00002.safetensors, which the repository does not have',
    );
  });

  it('a file name that would leave the snapshot folder is neither fetched nor written', async () => {
    const dir = await resolveModel('org/escape');
    expect(fileRequests().some((r) => r.url.includes('y/config.json'))).toBe(false);
    expect(fs.existsSync(path.join(dir, '..', 'y'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'config.json'))).toBe(true);
  });

  it('an HF_ENDPOINT that is not a Hub is one line, not an internal error', async () => {
    const page = http.createServer((_req, res) => res.end('<html>a web page</html>'));
    await new Promise<void>((ok) => page.listen(0, '127.0.0.1', ok));
    try {
      process.env.HF_ENDPOINT = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
      const err = await resolveModel('org/tiny-bert').catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err.constructor).toBe(Error); // not a SyntaxError, which the CLI reports as a bug
      expect((err as Error).message).toMatch(/^org\/tiny-bert: http:\/\/127\.0\.0\.1:\d+ did not answer as a Hugging Face Hub does \(.*\); check HF_ENDPOINT$/);
    } finally {
      await new Promise<void>((ok) => page.close(() => ok()));
    }
  });
});
