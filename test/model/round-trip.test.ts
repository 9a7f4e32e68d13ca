// load -> save -> load is lossless, and the saved folder has the classic sentence-transformers
// files (which sentence-transformers 2.x-6.x and transformers.js read).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tfjs/backend.js';
import { loadModel } from '../../src/tfjs/model.js';
import type { TensorMap } from '../../src/model/safetensors.js';
import { fixtureTexts, writeRandomFolder } from '../helpers/random-folder.js';
import { readF32Safetensors, type RefWeights } from '../helpers/reference-encoder.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const texts = fixtureTexts();
const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));

/** Same names, shapes and float32 bit patterns. */
function expectBitIdentical(got: TensorMap | RefWeights, want: TensorMap | RefWeights): void {
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [name, t] of want) {
    const g = got.get(name)!;
    expect(g.shape, name).toEqual(t.shape);
    const bits = (d: ArrayLike<number>) => Buffer.from(new Float32Array(Array.from(d)).buffer);
    expect(bits(g.data).equals(bits(t.data)), `${name} bit-identical`).toBe(true);
  }
}

let tmp: string;
beforeAll(async () => {
  await initBackend('wasm');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-roundtrip-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sources: [string, () => string][] = [
  ['tiny-bert (6.x layout, mean + Normalize)', () => `${FIX}tiny-bert`],
  ['tiny-xlmr (6.x layout, max)', () => `${FIX}tiny-xlmr`],
  ['random classic folder with pooler, prompts, cls, max_seq_length 24', () => {
    const dir = path.join(tmp, 'src-classic');
    writeRandomFolder(dir, {
      arch: 'bert', hidden: 48, layers: 3, heads: 6, intermediate: 96, layout: 'classic', pooling: 'cls', normalize: false,
      stMaxSeqLength: 24, tokenizerMaxLength: 512, prompts: { query: 'query: ', document: 'passage: ' }, seed: 7,
    });
    return dir;
  }],
  ['random sharded XLM-R with bert.-style prefix, lasttoken + Normalize', () => {
    const dir = path.join(tmp, 'src-sharded');
    writeRandomFolder(dir, {
      arch: 'xlm-roberta', hidden: 24, layers: 2, heads: 3, intermediate: 40, layout: 'st6', pooling: 'lasttoken', normalize: true,
      tokenizerMaxLength: 30, sharded: true, namePrefix: 'roberta.', seed: 8,
    });
    return dir;
  }],
];

for (const [label, source] of sources) {
  describe(`round trip: ${label}`, () => {
    it('load -> save -> load keeps weights bit for bit, config, pooling, max length, prompts and embeddings', async () => {
      const src = source();
      const out = path.join(tmp, `saved-${path.basename(src)}`);
      const before = tf.memory().numTensors;
      const a = await loadModel(src);
      a.save(out);
      const b = await loadModel(out);
      try {
        expect(a.hostWeights().has('pooler.dense.weight')).toBe(true);
        expectBitIdentical(b.hostWeights(), a.hostWeights());
        // The saved file holds Hugging Face names and [out, in] layout, as the source did.
        const original = new Map<string, any>(a.folder.weights);
        expectBitIdentical(readF32Safetensors(path.join(out, 'model.safetensors')), original);
        expect(b.folder.config.raw).toEqual(readJson(path.join(src, 'config.json')));
        for (const k of ['pooling', 'normalize', 'maxSeqLength', 'prompts'] as const) expect(b.folder[k], k).toEqual(a.folder[k]);
        expect(await b.encode(texts)).toEqual(await a.encode(texts));
      } finally {
        a.dispose();
        b.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}

describe('the saved folder', () => {
  let out: string;
  let src: string;
  beforeAll(async () => {
    src = `${FIX}tiny-bert`;
    out = path.join(tmp, 'saved-layout');
    const m = await loadModel(src);
    m.save(out);
    m.save(out); // replacing an existing folder works too
    m.dispose();
  });

  it('has the classic sentence-transformers modules and Pooling keys', () => {
    expect(readJson(path.join(out, 'modules.json'))).toEqual([
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
    ]);
    expect(fs.statSync(path.join(out, '2_Normalize')).isDirectory()).toBe(true);
    expect(readJson(path.join(out, '1_Pooling/config.json'))).toEqual({
      word_embedding_dimension: 32,
      pooling_mode_cls_token: false,
      pooling_mode_mean_tokens: true,
      pooling_mode_max_tokens: false,
      pooling_mode_mean_sqrt_len_tokens: false,
      pooling_mode_weightedmean_tokens: false,
      pooling_mode_lasttoken: false,
      include_prompt: true,
    });
    expect(readJson(path.join(out, 'sentence_bert_config.json')).max_seq_length).toBe(64);
    expect(readJson(path.join(out, 'config_sentence_transformers.json')).prompts).toEqual({ document: '', query: '' });
  });

  it('carries the tokenizer files unchanged and leaves no temporary folders', () => {
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
      expect(fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(src, f))), f).toBe(true);
    }
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('saves trained weights, not the ones read: a changed Linear weight lands transposed back to [out, in]', async () => {
    const m = await loadModel(src);
    const name = 'encoder.layer.1.intermediate.dense.weight'; // [64, 32] in the file, [32, 64] in the engine
    const v = m.params.get(name)!;
    expect(v.shape).toEqual([32, 64]);
    v.assign(tf.tidy(() => tf.add(v, tf.linspace(0, 1, 32 * 64).reshape([32, 64]))));
    const engine = v.dataSync();
    const changed = path.join(tmp, 'saved-changed');
    m.save(changed);
    m.dispose();
    const t = readF32Safetensors(path.join(changed, 'model.safetensors')).get(name)!;
    expect(t.shape).toEqual([64, 32]);
    for (const [o, i] of [[0, 0], [5, 3], [63, 31]]) expect(t.data[o * 32 + i]).toBe(engine[i * 64 + o]);
  });
});
