// A pool of tokenizer worker threads. Jobs go to the workers in turn; each answers in order.
// Works from compiled JS (dist/) and from TypeScript sources (vitest, tsx): the worker file has
// this module's own extension, and a .ts worker is loaded through tsx's tsImport (a worker's
// `--import tsx` does not apply to its entry file on Node 20).
import { Worker } from 'node:worker_threads';
import type { TokenBatch } from '../model/tokenizer.js';
import type { TokenizeJob } from './tokenize-worker.js';

export interface TokenizerPool {
  /** Tokenize and pad each column of texts, after its prompt if `prompts` gives one: one TokenBatch per column. */
  encode(columns: string[][], prompts?: string[]): Promise<TokenBatch[]>;
  close(): Promise<void>;
}

type Waiter = { resolve: (b: TokenBatch[]) => void; reject: (e: Error) => void };

export function openTokenizerPool(dir: string, maxSeqLength: number, size: number): TokenizerPool {
  const ts = import.meta.url.endsWith('.ts');
  const url = new URL(`./tokenize-worker.${ts ? 'ts' : 'js'}`, import.meta.url);
  const entry = ts ? tsEntry(url) : url;
  const waiting = new Map<number, Waiter>();
  let failure: Error | null = null;
  const fail = (e: Error): void => {
    failure ??= new Error(`tokenizer worker failed: ${e.message}`);
    for (const w of waiting.values()) w.reject(failure);
    waiting.clear();
  };
  const workers = Array.from({ length: size }, () => {
    const w = new Worker(entry, { workerData: { dir, maxSeqLength }, eval: ts });
    w.on('message', (m: { id: number; batches?: TokenBatch[]; error?: string }) => {
      const waiter = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.error !== undefined) waiter?.reject(new Error(m.error));
      else waiter?.resolve(m.batches!);
    });
    w.on('error', fail);
    w.on('exit', (code) => {
      if (code !== 0) fail(new Error(`exited with code ${code}`));
    });
    return w;
  });
  let nextId = 0;
  let closed = false;
  return {
    encode(columns, prompts) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        workers[id % workers.length].postMessage({ id, columns, ...(prompts ? { prompts } : {}) } satisfies TokenizeJob);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const w of workers) w.removeAllListeners('exit');
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** Worker code that loads a TypeScript worker file with tsx. */
function tsEntry(url: URL): string {
  const api = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(url.href)}, ${JSON.stringify(url.href)}))`;
}
