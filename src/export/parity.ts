// The check after export: the written ONNX file under onnxruntime-node against an independent
// encoder, on sample texts batched together (so padding, truncation and every pooling path are
// exercised): the tfjs encoder for BERT and XLM-R (loaded only then), else the same graph built in
// memory (which checks the file, the graph being checked by the tests against sentence-transformers).
import { type Int64Batch, openOnnxEncoder } from '../graphs/onnx-encoder.js';
import type { ModelFolder } from '../model/folder.js';
import { loadTokenizer } from '../model/tokenizer.js';
import { buildEncoderGraph } from '../graphs/encoder-graph.js';
import { DEFAULT_OPSET, encodeOnnxModel } from '../onnx/onnx-file.js';

const LONG = 'Dense retrieval encodes a query and each passage into vectors and ranks passages by cosine similarity. ';

/**
 * Short and long, accents, CJK, emoji, empty, and one of ~150 tokens (past small max_seq_lengths).
 * Kept short enough that the tfjs check of a 24-layer large model fits the 4 GiB wasm heap.
 */
export const SAMPLE_TEXTS = [
  'What is the capital of France?',
  'Paris is the capital and most populous city of France.',
  '',
  'Ça coûte 3,50 € — très cher pour un café!',
  '東京は日本の首都です。',
  'Dense retrievers embed queries and documents into one vector space 🔍.',
  LONG.repeat(8),
  'a',
];

function toInt64(a: Int32Array): BigInt64Array {
  return BigInt64Array.from(a, (v) => BigInt(v));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return Number.isNaN(m) ? Infinity : m;
}

/**
 * Largest |onnx - tfjs| over last_hidden_state and sentence_embedding of `texts`, batched together.
 * Runs the tfjs encoder on the current tfjs backend.
 */
export async function maxDiffVsTfjs(folder: ModelFolder, onnxPath: string, texts: string[] = SAMPLE_TEXTS): Promise<number> {
  const tokenizer = loadTokenizer(folder.dir, folder.maxSeqLength);
  const batch = tokenizer.encodeBatch(texts);
  const { encoderOutputs } = await import('../tfjs/encoder-outputs.js');
  const tfjs = await encoderOutputs(folder, batch);
  const onnxModel = await openOnnxEncoder(onnxPath, tokenizer, folder, folder.dir);
  try {
    const b: Int64Batch = { inputIds: toInt64(batch.inputIds), attentionMask: toInt64(batch.attentionMask), batchSize: batch.batchSize, seqLen: batch.seqLen };
    const out = await onnxModel.run(b, ['last_hidden_state', 'sentence_embedding']);
    return Math.max(maxAbsDiff(out.last_hidden_state, tfjs.hidden), maxAbsDiff(out.sentence_embedding, tfjs.sentence));
  } finally {
    await onnxModel.release();
  }
}

/**
 * For architectures without a tfjs encoder (all but BERT and XLM-R): the written file against the same graph
 * built in memory, over last_hidden_state and sentence_embedding of `texts`; what it checks is the
 * file (serialisation, external data, opset), the graph itself being checked by the tests against
 * sentence-transformers.
 */
export async function maxDiffVsInMemoryGraph(folder: ModelFolder, onnxPath: string, texts: string[] = SAMPLE_TEXTS): Promise<number> {
  const tokenizer = loadTokenizer(folder.dir, folder.maxSeqLength);
  const batch = tokenizer.encodeBatch(texts);
  const b: Int64Batch = { inputIds: toInt64(batch.inputIds), attentionMask: toInt64(batch.attentionMask), batchSize: batch.batchSize, seqLen: batch.seqLen };
  const bytes = encodeOnnxModel(buildEncoderGraph(folder, { opset: DEFAULT_OPSET, promptLength: false }), folder.dir);
  const [written, memory] = await Promise.all([onnxPath, { bytes, name: folder.dir }].map((m) => openOnnxEncoder(m, tokenizer, folder, folder.dir)));
  try {
    const names = ['last_hidden_state', 'sentence_embedding'];
    const [x, y] = await Promise.all([written.run(b, names), memory.run(b, names)]);
    return Math.max(...names.map((n) => maxAbsDiff(x[n], y[n])));
  } finally {
    await Promise.all([written.release(), memory.release()]);
  }
}
