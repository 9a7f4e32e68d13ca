// `npm run bench:embed`: embedding throughput (texts/s, median of runs) of a MiniLM-L6-H384-shaped
// encoder (random weights; tiny-bert's 600-token WordPiece vocabulary, so the embedding table is
// small but every layer has the real shape), mean pooling + Normalize, max_seq_length 256, on
// texts of mixed length (8 to 120 words) in batches of 32:
//   - densetrain embed --engine onnx (onnxruntime-node, length-sorted batches, all cores), float32 and int8
//   - densetrain embed --engine tfjs (the tfjs encoder on the backend `auto` picks), on the first
//     BENCH_TFJS_TEXTS texts (same length mix) in batches of 16: it runs at a few texts/s on wasm,
//     and on wasm a batch of 32 texts of ~230 tokens overflows the 2 GiB heap the encoder can address
//   - transformers.js pipeline('feature-extraction') on the same exported folder, batches in input order
//   BENCH_TEXTS (default 256), BENCH_TFJS_TEXTS (32), BENCH_RUNS (3), BENCH_BATCH (32)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
import { describeBackend, initBackend } from '../src/tfjs/backend.js';
import { loadOnnxModel, openOnnxEncoder } from '../src/graphs/onnx-encoder.js';
import { exportOnnx } from '../src/export/export.js';
import { loadModel } from '../src/tfjs/model.js';
import { syntheticTexts, writeMiniLmFolder } from './model-shapes.js';

const N = Number(process.env.BENCH_TEXTS ?? 256);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BATCH = Number(process.env.BENCH_BATCH ?? 32);
const TFJS_TEXTS = Number(process.env.BENCH_TFJS_TEXTS ?? 32);
const TFJS_BATCH = 16;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** N texts, lengths cycling through 8..120 words so batches in input order mix lengths. */
function mixedTexts(n: number): string[] {
  const lengths = [8, 120, 16, 64, 32, 96, 12, 48];
  return Array.from({ length: n }, (_, i) => syntheticTexts(1, lengths[i % lengths.length], i + 1)[0]);
}

/** Median texts/s of `encode` over RUNS runs, after one warm-up batch. */
async function throughput(name: string, encode: (texts: string[]) => Promise<unknown>, texts: string[]): Promise<number> {
  await encode(texts.slice(0, 8));
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    await encode(texts);
    rates.push(texts.length / ((performance.now() - t0) / 1000));
  }
  const rate = median(rates);
  console.log(`${name.padEnd(44)} ${rate.toFixed(1).padStart(8)} texts/s   (runs: ${rates.map((x) => x.toFixed(1)).join(', ')})`);
  return rate;
}

const info = await initBackend();
console.log(describeBackend(info));
console.log(`onnxruntime-node: ${os.availableParallelism()} intra-op threads; ${os.cpus()[0].model}`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-bench-embed-'));
try {
  const src = writeMiniLmFolder(path.join(tmp, 'minilm'), new URL('../test/fixtures/tiny-bert', import.meta.url).pathname);
  const out = path.join(tmp, 'minilm-onnx');
  const exported = await exportOnnx(src, out, { quantize: 'int8' });
  console.log(`exported ${exported.onnxPath}: onnxruntime vs tfjs max abs diff ${exported.maxAbsDiff!.toExponential(2)}; ` +
    `int8 vs float32: max abs diff ${exported.int8!.maxAbsDiff.toExponential(2)}, min cosine ${exported.int8!.minCosine.toFixed(6)}`);
  const texts = mixedTexts(N);
  console.log(`${N} texts, batch ${BATCH}, median of ${RUNS} runs`);

  const ours = await loadOnnxModel(out);
  const onnxRate = await throughput('densetrain --engine onnx (float32)', (t) => ours.encode(t, { batchSize: BATCH }), texts);
  const int8 = await openOnnxEncoder(exported.int8!.onnxPath, ours.tokenizer, { prompts: {}, defaultPromptName: null, includePrompt: true }, out);
  const int8Rate = await throughput('densetrain --engine onnx, onnx/model_int8.onnx', (t) => int8.encode(t, { batchSize: BATCH }), texts);
  await int8.release();

  const tfjs = await loadModel(out);
  const tfjsRate = await throughput(`densetrain --engine tfjs (${info.backend}, ${TFJS_TEXTS} texts)`, (t) => tfjs.encode(t, { batchSize: TFJS_BATCH }), texts.slice(0, TFJS_TEXTS));
  tfjs.dispose();

  env.allowRemoteModels = false;
  env.localModelPath = tmp;
  const extractor = await pipeline('feature-extraction', 'minilm-onnx', { dtype: 'fp32', local_files_only: true });
  const tjsEncode = async (t: string[]) => {
    for (let s = 0; s < t.length; s += BATCH) await extractor(t.slice(s, s + BATCH), { pooling: 'mean', normalize: true });
  };
  const tjsRate = await throughput('transformers.js feature-extraction pipeline', tjsEncode, texts);

  // Same numbers from both ONNX paths (texts short enough that transformers.js keeps [SEP]).
  const short = texts.filter((_, i) => i % 8 === 0).slice(0, 8);
  const a = await ours.encode(short);
  const b = (await extractor(short, { pooling: 'mean', normalize: true })).tolist() as number[][];
  const diff = Math.max(...a.flatMap((e, i) => Array.from(e, (v, j) => Math.abs(v - b[i][j]))));
  console.log(`onnx engine vs transformers.js on ${short.length} short texts: max abs diff ${diff.toExponential(2)}`);
  await extractor.dispose();
  await ours.release();
  console.log(JSON.stringify({ texts: N, batch: BATCH, onnx: onnxRate, onnx_int8: int8Rate, tfjs: tfjsRate, tfjs_backend: info.backend, tfjs_texts: TFJS_TEXTS, transformers_js: tjsRate }));
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
