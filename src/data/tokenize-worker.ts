// Worker thread that tokenizes batches for the training stream, so tokenization runs off the
// training thread. Gets (model dir, max length) at start, then jobs of text columns. A tokenizer
// that cannot load (it does not fit the model) answers every job with why, in its own words.
import { parentPort, workerData } from 'node:worker_threads';
import { loadTokenizer, type TextTokenizer } from '../model/tokenizer.js';

export interface TokenizeJob {
  id: number;
  columns: string[][];
  /** A prompt per column ('' for none), put before each of its texts (TokenBatch.promptLength says how many tokens it took). */
  prompts?: string[];
}

let tokenizer: TextTokenizer;
try {
  tokenizer = loadTokenizer(workerData.dir, workerData.maxSeqLength);
  parentPort!.on('message', answer);
} catch (e) {
  const error = e instanceof Error ? e.message : String(e);
  parentPort!.on('message', (job: TokenizeJob) => parentPort!.postMessage({ id: job.id, error }));
}

function answer(job: TokenizeJob): void {
  try {
    const batches = job.columns.map((texts, c) => {
      const prompt = job.prompts?.[c] ?? '';
      if (prompt === '') return tokenizer.encodeBatch(texts);
      return { ...tokenizer.encodeBatch(texts.map((t) => prompt + t)), promptLength: tokenizer.promptLength(prompt) };
    });
    const buffers = batches.flatMap((b) => [b.inputIds.buffer, b.attentionMask.buffer, b.tokenTypeIds.buffer]);
    parentPort!.postMessage({ id: job.id, batches }, buffers as ArrayBuffer[]);
  } catch (e) {
    parentPort!.postMessage({ id: job.id, error: e instanceof Error ? e.message : String(e) });
  }
}
