// Worker thread that tokenizes batches for the training stream, so tokenization runs off the
// training thread. Gets (model dir, max length) at start, then jobs of text columns.
import { parentPort, workerData } from 'node:worker_threads';
import { loadTokenizer } from '../model/tokenizer.js';

export interface TokenizeJob {
  id: number;
  columns: string[][];
}

const tokenizer = loadTokenizer(workerData.dir, workerData.maxSeqLength);

parentPort!.on('message', (job: TokenizeJob) => {
  try {
    const batches = job.columns.map((texts) => tokenizer.encodeBatch(texts));
    const buffers = batches.flatMap((b) => [b.inputIds.buffer, b.attentionMask.buffer, b.tokenTypeIds.buffer]);
    parentPort!.postMessage({ id: job.id, batches }, buffers as ArrayBuffer[]);
  } catch (e) {
    parentPort!.postMessage({ id: job.id, error: e instanceof Error ? e.message : String(e) });
  }
});
