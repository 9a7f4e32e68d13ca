// Export to ONNX, then the same texts through three runtimes: onnxruntime-node (our --engine onnx),
// transformers.js (loading the exported folder offline) and the tfjs encoder. References: the
// sentence-transformers embeddings of the two fixtures, and the plain-JavaScript reference encoder
// (test/helpers) for random-weight folders of each architecture and pooling.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AutoModel, env, pipeline, Tensor } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tfjs/backend.js';
import { loadExportedOnnx } from '../../src/graphs/onnx-encoder.js';
import { exportOnnx } from '../../src/export/export.js';
import { loadModel } from '../../src/tfjs/model.js';
import type { TokenBatch } from '../../src/model/tokenizer.js';
import { type FolderSpec, fixtureTexts, writeRandomFolder } from '../helpers/random-folder.js';
import { maxAbsDiff, referenceHidden, referencePool, referenceTokenize } from '../helpers/reference-encoder.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
/** float32 against float64 references and against each other, through a few layers. */
const TOL = 1e-5;
const texts = fixtureTexts();

let tmp: string;
beforeAll(async () => {
  await initBackend('wasm');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-export-'));
  env.allowRemoteModels = false;
  env.localModelPath = tmp;
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function rows(data: ArrayLike<number>, n: number): Float32Array[] {
  const w = data.length / n;
  return Array.from({ length: n }, (_, i) => Float32Array.from(Array.prototype.slice.call(data, i * w, (i + 1) * w)));
}

/** transformers.js's model on our token batch: its outputs, row per text. */
async function transformersJsOutputs(dir: string, batch: TokenBatch, withTypes: boolean) {
  const model = await AutoModel.from_pretrained(path.basename(dir), { dtype: 'fp32', local_files_only: true });
  const t = (a: Int32Array) => new Tensor('int64', BigInt64Array.from(a, BigInt), [batch.batchSize, batch.seqLen]);
  const inputs: Record<string, Tensor> = { input_ids: t(batch.inputIds), attention_mask: t(batch.attentionMask) };
  if (withTypes) inputs.token_type_ids = t(batch.tokenTypeIds);
  const out = await model(inputs);
  await model.dispose();
  return { sentence: rows(out.sentence_embedding.data, batch.batchSize), hidden: rows(out.last_hidden_state.data, batch.batchSize) };
}

describe('sentence-transformers fixtures', () => {
  // tfjs computes tiny-bert and tiny-xlmr; the other architectures are the ONNX graph's alone.
  for (const [name, withTfjs] of [['tiny-bert', true], ['tiny-xlmr', true], ['tiny-distilbert', false], ['tiny-roberta', false], ['tiny-mpnet', false]] as const) {
    it(`${name}: onnxruntime, transformers.js${withTfjs ? ' and tfjs' : ''} match sentence-transformers within ${TOL}`, async () => {
      const expected = JSON.parse(fs.readFileSync(`${FIX}${name}.expected.json`, 'utf8'));
      const out = path.join(tmp, name);
      const r = await exportOnnx(`${FIX}${name}`, out);
      expect(r.onnxPath).toBe(path.join(out, 'onnx', 'model.onnx'));
      expect(r.checkedAgainst).toBe(withTfjs ? 'tfjs' : 'graph');
      expect(r.maxAbsDiff).toBeLessThanOrEqual(1e-4);
      expect(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).model_type).toBe(JSON.parse(fs.readFileSync(`${FIX}${name}/config.json`, 'utf8')).model_type);

      const onnxModel = await loadExportedOnnx(out);
      const viaOnnx = await onnxModel.encode(expected.texts, { batchSize: 5 });
      expect(maxAbsDiff(viaOnnx, expected.embeddings)).toBeLessThan(TOL);

      const batch = onnxModel.tokenizer.encodeBatch(expected.texts);
      if (withTfjs) {
        const tfjs = await loadModel(out);
        expect(maxAbsDiff(await tfjs.encode(expected.texts), expected.embeddings)).toBeLessThan(TOL);
        tfjs.dispose();
      }

      const tjs = await transformersJsOutputs(out, batch, name === 'tiny-bert');
      expect(maxAbsDiff(tjs.sentence, expected.embeddings)).toBeLessThan(TOL);
      await onnxModel.release();
    });
  }

  it('transformers.js pipeline("feature-extraction") loads the folder offline and agrees on texts it does not truncate', async () => {
    const expected = JSON.parse(fs.readFileSync(`${FIX}tiny-bert.expected.json`, 'utf8'));
    const out = path.join(tmp, 'tiny-bert-pipeline');
    await exportOnnx(`${FIX}tiny-bert`, out);
    // transformers.js truncates by cutting the encoded ids, dropping the closing [SEP] that
    // sentence-transformers keeps, so texts over max_seq_length differ there by design.
    const lengths = referenceTokenize(out, expected.texts, Infinity).map((ids) => ids.length);
    const fits = lengths.map((_, i) => i).filter((i) => lengths[i] <= 64);
    expect(fits.length).toBe(expected.texts.length - 1);
    const extractor = await pipeline('feature-extraction', 'tiny-bert-pipeline', { dtype: 'fp32', local_files_only: true });
    const got = (await extractor(fits.map((i) => expected.texts[i]), { pooling: 'mean', normalize: true })).tolist() as number[][];
    expect(maxAbsDiff(got, fits.map((i) => expected.embeddings[i]))).toBeLessThan(TOL);
    await extractor.dispose();
  });
});

const CASES: Record<string, FolderSpec> = {
  'BERT, cls + normalize, gelu': {
    arch: 'bert', hidden: 48, layers: 2, heads: 6, intermediate: 96, layout: 'classic', pooling: 'cls', normalize: true,
    stMaxSeqLength: 24, tokenizerMaxLength: 512, seed: 11,
  },
  'BERT, max, gelu_new, eps 1e-5': {
    arch: 'bert', hidden: 40, layers: 2, heads: 5, intermediate: 80, hiddenAct: 'gelu_new', layerNormEps: 1e-5,
    layout: 'st6', pooling: 'max', normalize: false, tokenizerMaxLength: 32, seed: 12,
  },
  'BERT, lasttoken': {
    arch: 'bert', hidden: 32, layers: 2, heads: 4, intermediate: 64, layout: 'st6', pooling: 'lasttoken', normalize: false,
    tokenizerMaxLength: 20, seed: 13,
  },
  'XLM-R, mean + normalize, gelu_pytorch_tanh': {
    arch: 'xlm-roberta', hidden: 36, layers: 2, heads: 4, intermediate: 72, hiddenAct: 'gelu_pytorch_tanh',
    layout: 'classic', pooling: 'mean', normalize: true, stMaxSeqLength: 30, tokenizerMaxLength: 1e30, seed: 14,
  },
  'XLM-R, cls': {
    arch: 'xlm-roberta', hidden: 24, layers: 3, heads: 3, intermediate: 40, layout: 'st6', pooling: 'cls', normalize: false,
    tokenizerMaxLength: 28, seed: 15,
  },
  'XLM-R, lasttoken + normalize': {
    arch: 'xlm-roberta', hidden: 24, layers: 2, heads: 2, intermediate: 48, layout: 'st6', pooling: 'lasttoken', normalize: true,
    tokenizerMaxLength: 26, seed: 16,
  },
  'XLM-R, max': {
    arch: 'xlm-roberta', hidden: 32, layers: 2, heads: 4, intermediate: 64, layout: 'classic', pooling: 'max', normalize: false,
    stMaxSeqLength: 22, tokenizerMaxLength: 512, seed: 17,
  },
};

describe('random-weight folders of each architecture and pooling', () => {
  for (const [name, spec] of Object.entries(CASES)) {
    it(`${name}: onnxruntime = transformers.js = tfjs = reference`, async () => {
      const src = path.join(tmp, `src-${spec.seed}`);
      const out = path.join(tmp, `out-${spec.seed}`);
      const ref = writeRandomFolder(src, spec);
      const r = await exportOnnx(src, out);
      expect(r.maxAbsDiff).toBeLessThanOrEqual(1e-4);

      const ids = referenceTokenize(src, texts, ref.maxSeqLength);
      expect(Math.max(...ids.map((x) => x.length))).toBe(ref.maxSeqLength); // truncation is exercised
      const refHidden = ids.map((seq) => referenceHidden(ref.config, ref.weights, seq));
      const reference = refHidden.map((h) => referencePool(h, ref.pooling, ref.normalize));

      const onnxModel = await loadExportedOnnx(out);
      const viaOnnx = await onnxModel.encode(texts, { batchSize: 4 });
      await onnxModel.release();
      expect(maxAbsDiff(viaOnnx, reference)).toBeLessThan(TOL);

      const tfjs = await loadModel(src);
      const viaTfjs = await tfjs.encode(texts, { batchSize: 4 });
      const batch = tfjs.tokenizer.encodeBatch(texts);
      tfjs.dispose();
      expect(maxAbsDiff(viaOnnx, viaTfjs)).toBeLessThan(TOL);

      const tjs = await transformersJsOutputs(out, batch, spec.arch === 'bert');
      expect(maxAbsDiff(tjs.sentence, viaOnnx)).toBeLessThan(TOL);
      // last_hidden_state at each text's real tokens (padding rows are not specified)
      const realTokens = tjs.hidden.map((h, i) => h.subarray(0, ids[i].length * spec.hidden));
      expect(maxAbsDiff(realTokens, refHidden.map((h) => Float64Array.from(h.flatMap((r) => Array.from(r)))))).toBeLessThan(TOL);
    });
  }
});

describe('the exported folder', () => {
  it('is a complete model folder with the onnx model inside, and tells transformers.js the max length', async () => {
    const out = path.join(tmp, 'layout');
    await exportOnnx(`${FIX}tiny-xlmr`, out);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'modules.json', 'sentence_bert_config.json', '1_Pooling/config.json', 'onnx/model.onnx']) {
      expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    }
    expect(JSON.parse(fs.readFileSync(path.join(out, 'tokenizer_config.json'), 'utf8')).model_max_length).toBe(40);
    // no staging folders left beside it
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('re-exports in place over an existing export', async () => {
    const out = path.join(tmp, 'in-place');
    await exportOnnx(`${FIX}tiny-bert`, out);
    const again = await exportOnnx(out, out);
    expect(again.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(fs.existsSync(path.join(out, 'onnx', 'model.onnx'))).toBe(true);
  });
});

describe('int8', () => {
  for (const name of ['tiny-bert', 'tiny-distilbert', 'tiny-roberta', 'tiny-mpnet']) it(`${name}: writes onnx/model_int8.onnx, reports its cost, and stays within 0.999 cosine of sentence-transformers`, async () => {
    const expected = JSON.parse(fs.readFileSync(`${FIX}${name}.expected.json`, 'utf8'));
    const out = path.join(tmp, `int8-${name}`);
    const r = await exportOnnx(`${FIX}${name}`, out, { quantize: 'int8' });
    expect(r.int8!.onnxPath).toBe(path.join(out, 'onnx', 'model_int8.onnx'));
    expect(r.int8!.minCosine).toBeGreaterThan(0.999);
    expect(r.int8!.maxAbsDiff).toBeGreaterThan(0); // it is quantised
    const extractor = await pipeline('feature-extraction', `int8-${name}`, { dtype: 'int8', local_files_only: true });
    const got = (await extractor(expected.texts.slice(0, 8), { pooling: 'mean', normalize: true })).tolist() as number[][];
    await extractor.dispose();
    got.forEach((e, i) => {
      const cos = e.reduce((s, v, j) => s + v * expected.embeddings[i][j], 0); // both unit length
      expect(cos).toBeGreaterThan(0.999);
    });
    expect(maxAbsDiff(got, expected.embeddings.slice(0, 8))).toBeGreaterThan(1e-6);
  });
});
