// `npm run bench:mine`: hard-negative mining at scale on the MiniLM-L6-H384 shape (random weights,
// see model-shapes.ts): BENCH_DOCS generated passages (default 100,000) as the corpus, the first
// BENCH_QUERIES of them (default 1,000) paired with generated questions, dense first stage with
// BENCH_TOP_K candidates (default 30) rescored by a MiniLM-shaped cross-encoder, 10 negatives per
// query. Prints documents embedded per second, cross-encoder pairs scored per second, and the
// process's peak RSS, next to the ~100 texts/s that sentence-transformers' encode reaches on this
// machine for that shape. Also BENCH_BATCH (32).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mine } from '../src/mine/mine.js';
import { readSafetensors, writeSafetensors, type TensorMap } from '../src/model/safetensors.js';
import { syntheticTexts, writeMiniLmFolder } from './model-shapes.js';

const DOCS = Number(process.env.BENCH_DOCS ?? 100_000);
const QUERIES = Math.min(Number(process.env.BENCH_QUERIES ?? 1_000), DOCS);
const TOP_K = Number(process.env.BENCH_TOP_K ?? 30);
const BATCH = Number(process.env.BENCH_BATCH ?? 32);
const ST_TEXTS_PER_S = 100;

/** A BertForSequenceClassification folder (one label) with the bi-encoder's MiniLM weights under `bert.`, plus pooler and classifier. */
function writeMiniLmCrossEncoder(dir: string, from: string, tokenizerFrom: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const cfg = JSON.parse(fs.readFileSync(path.join(from, 'config.json'), 'utf8'));
  Object.assign(cfg, { architectures: ['BertForSequenceClassification'], id2label: { 0: 'LABEL_0' }, label2id: { LABEL_0: 0 } });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg, null, 2));
  const weights: TensorMap = new Map();
  for (const [name, t] of readSafetensors(path.join(from, 'model.safetensors'))) weights.set(`bert.${name}`, t);
  let seed = 7;
  const rand = (n: number) => Float32Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.04);
  const h = cfg.hidden_size as number;
  weights.set('bert.pooler.dense.weight', { shape: [h, h], data: rand(h * h) });
  weights.set('bert.pooler.dense.bias', { shape: [h], data: new Float32Array(h) });
  weights.set('classifier.weight', { shape: [1, h], data: rand(h) });
  weights.set('classifier.bias', { shape: [1], data: new Float32Array(1) });
  writeSafetensors(path.join(dir, 'model.safetensors'), weights);
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(tokenizerFrom, f), path.join(dir, f));
  return dir;
}

console.log(`onnxruntime-node: ${os.availableParallelism()} intra-op threads; ${os.cpus()[0].model}`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-bench-mine-'));
try {
  const fixtures = new URL('../test/fixtures/', import.meta.url).pathname;
  const bi = writeMiniLmFolder(path.join(tmp, 'minilm'), path.join(fixtures, 'tiny-bert'));
  const ce = writeMiniLmCrossEncoder(path.join(tmp, 'minilm-ce'), bi, path.join(fixtures, 'mining', 'tiny-ce-bert'));
  // passages of 20 to 60 words, questions of 6 to 12
  const passages = Array.from({ length: DOCS }, (_, i) => syntheticTexts(1, 20 + (i % 41), i + 1)[0]);
  const corpusFile = path.join(tmp, 'corpus.jsonl');
  fs.writeFileSync(corpusFile, passages.map((text) => JSON.stringify({ text }) + '\n').join(''));
  const dataFile = path.join(tmp, 'pairs.jsonl');
  fs.writeFileSync(dataFile, passages.slice(0, QUERIES).map((p, i) => JSON.stringify({ query: syntheticTexts(1, 6 + (i % 7), DOCS + i + 1)[0], positive: p }) + '\n').join(''));
  console.log(`${DOCS} passages, ${QUERIES} queries, dense top-${TOP_K} rescored by the cross-encoder, batch ${BATCH}`);

  const s = await mine({
    model: bi, data: dataFile, corpus: [corpusFile], output: path.join(tmp, 'mined.jsonl'), firstStage: 'dense', topK: TOP_K,
    crossEncoder: ce, rangeMin: 0, rangeMax: TOP_K - 1, numNegatives: 10, samplingStrategy: 'top', seed: 0,
    queryColumn: 'query', positiveColumn: 'positive', outputFormat: 'grouped', batchSize: BATCH,
  }, { progress: (stage, done, total) => process.stderr.isTTY && process.stderr.write(`\r${stage} ${done}/${total}   `) });
  if (process.stderr.isTTY) process.stderr.write('\n');

  const docsPerS = s.documents_embedded / s.seconds.embed_corpus;
  const pairsPerS = s.pairs_scored / s.seconds.cross_encoder;
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  const row = (name: string, value: string) => console.log(`${name.padEnd(40)} ${value}`);
  row('documents embedded / s', `${docsPerS.toFixed(1)}  (sentence-transformers encode here: ~${ST_TEXTS_PER_S}/s, x${(docsPerS / ST_TEXTS_PER_S).toFixed(2)})`);
  row('cross-encoder pairs scored / s', `${pairsPerS.toFixed(1)}  (${s.pairs_scored} pairs)`);
  row('queries embedded + searched / s', `${(s.queries_embedded / (s.seconds.embed_queries + s.seconds.search)).toFixed(1)}  (search alone ${s.seconds.search.toFixed(1)} s)`);
  row('peak RSS', `${peakMiB.toFixed(0)} MiB  (corpus embeddings: ${((DOCS * 384 * 4) / 2 ** 20).toFixed(0)} MiB)`);
  row('wall time', `${s.seconds.total.toFixed(1)} s  (${JSON.stringify(s.seconds)})`);
  row('rows written', `${s.rows_written} (dropped ${s.rows_dropped})`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
