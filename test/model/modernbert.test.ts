// ModernBERT (tiny-modernbert, sentence-transformers 6.0.1 / transformers 5.18: 4 layers, global
// every 3rd, sliding window 16 < max_seq_length 64) through the in-memory ONNX encoder, its two
// config.json forms, a save round trip and an export, against the fixture's embeddings.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AutoModel, env, Tensor } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExportedOnnx, loadOnnxModel } from '../../src/graphs/onnx-encoder.js';
import { exportOnnx } from '../../src/export/export.js';
import { parseConfig } from '../../src/model/config.js';
import { readModelFolder } from '../../src/model/folder.js';
import { saveModelFolder } from '../../src/model/save.js';
import { maxAbsDiff } from '../helpers/reference-encoder.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const SRC = `${FIX}tiny-modernbert`;
const TOL = 1e-5;
const exp = JSON.parse(fs.readFileSync(`${SRC}.expected.json`, 'utf8'));
const rawConfig = () => JSON.parse(fs.readFileSync(path.join(SRC, 'config.json'), 'utf8'));
let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-modernbert-'));
  env.allowRemoteModels = false;
  env.localModelPath = tmp;
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A copy of the fixture with config.json changed by `edit`. */
function withConfig(name: string, edit: (raw: any) => void): string {
  const dir = path.join(tmp, name);
  fs.cpSync(SRC, dir, { recursive: true });
  const raw = rawConfig();
  edit(raw);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(raw));
  return dir;
}

async function embed(dir: string, texts: string[] = exp.texts, batchSize = 16): Promise<Float32Array[]> {
  const m = await loadOnnxModel(dir);
  try {
    return await m.encode(texts, { batchSize });
  } finally {
    await m.release();
  }
}

describe('tiny-modernbert embeddings', () => {
  it(`loadOnnxModel reproduces sentence-transformers for all 16 texts ("" and the long one included) within ${TOL}, whatever the batch size`, async () => {
    expect(exp.texts).toContain('');
    for (const batchSize of [16, 3, 1]) expect(maxAbsDiff(await embed(SRC, exp.texts, batchSize), exp.embeddings), `batch size ${batchSize}`).toBeLessThan(TOL);
  });

  it('the sliding window is |i - j| <= local_attention / 2: one token narrower or wider, or no window, and the fixture check fails; texts within it are unchanged', async () => {
    const m = await loadOnnxModel(SRC);
    const lengths: number[] = exp.texts.map((t: string) => m.tokenizer.encode(t).length);
    await m.release();
    const within = lengths.map((n, i) => (n <= 9 ? i : -1)).filter((i) => i >= 0); // window 16: every pair of 9 tokens is within 8
    expect(within.length).toBeGreaterThan(0);
    expect(within.length).toBeLessThan(exp.texts.length);
    for (const window of [14, 18, 1024]) {
      const got = await embed(withConfig(`window-${window}`, (r) => (r.local_attention = window)));
      expect(maxAbsDiff(within.map((i) => got[i]), within.map((i) => exp.embeddings[i])), `window ${window}, short texts`).toBeLessThan(TOL);
      expect(maxAbsDiff(got, exp.embeddings), `window ${window}`).toBeGreaterThan(2 * TOL);
    }
  });
});

describe('ModernBERT config.json', () => {
  it("reads the Hub's form (global_attn_every_n_layers, global/local_rope_theta) as transformers 5's (layer_types, rope_parameters)", async () => {
    const v5 = parseConfig(rawConfig()).modernbert!;
    expect(v5.globalLayers).toEqual([true, false, false, true]);
    expect([v5.globalRopeTheta, v5.localRopeTheta, v5.localWindow]).toEqual([160000, 10000, 16]);
    const hub = withConfig('hub-form', (r) => {
      delete r.layer_types;
      delete r.rope_parameters;
      Object.assign(r, { global_attn_every_n_layers: 3, global_rope_theta: 160000, local_rope_theta: 10000 });
    });
    expect(readModelFolder(hub).config.modernbert).toEqual(v5);
    expect(maxAbsDiff(await embed(hub), exp.embeddings)).toBeLessThan(TOL);
    // Each theta is used where its layer type says. The tiny model's near-uniform attention makes
    // theta a small effect, so this compares at float32 noise (the fixture is matched to ~1e-7).
    expect(maxAbsDiff(await embed(SRC), exp.embeddings)).toBeLessThan(5e-7);
    const swapped = withConfig('swapped-theta', (r) => {
      r.rope_parameters.full_attention.rope_theta = 10000;
      r.rope_parameters.sliding_attention.rope_theta = 160000;
    });
    expect(maxAbsDiff(await embed(swapped), exp.embeddings)).toBeGreaterThan(1e-6);
  });

  it('bad ModernBERT keys are one-line errors naming the file and key', () => {
    const bad = (edit: (r: any) => void) => () => {
      const r = rawConfig();
      edit(r);
      parseConfig(r, 'x/config.json');
    };
    expect(bad((r) => (r.layer_types = ['full_attention', 'chunked_attention', 'sliding_attention', 'full_attention']))).toThrow(/^x\/config\.json: layer_types\[1\] "chunked_attention" is not supported/);
    expect(bad((r) => (r.layer_types = ['full_attention', 'full_attention', 'sliding_attention', 'full_attention']))).toThrow(/^x\/config\.json: layer_types\[1\] "full_attention" disagrees with "global_attn_every_n_layers" 3 \(layer 1 is local by it\)$/);
    expect(bad((r) => (r.layer_types = ['full_attention']))).toThrow(/^x\/config\.json: "layer_types" must list one type per layer \(4\)/);
    expect(bad((r) => (r.rope_parameters.full_attention.rope_type = 'yarn'))).toThrow(/^x\/config\.json: rope_parameters\.full_attention\.rope_type "yarn" is not supported/);
    expect(bad((r) => (r.hidden_activation = 'silu'))).toThrow(/^x\/config\.json: hidden_activation "silu" is not supported/);
    expect(bad((r) => (r.norm_bias = 'no'))).toThrow(/^x\/config\.json: "norm_bias" must be true or false/);
    expect(bad((r) => (r.num_attention_heads = 5))).toThrow(/^x\/config\.json: hidden_size 32 \/ num_attention_heads 5 must be a whole, even head size/);
  });

  it('a missing ModernBERT tensor is named with its file', () => {
    const dir = path.join(tmp, 'missing-tensor');
    fs.cpSync(SRC, dir, { recursive: true });
    const raw = rawConfig();
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...raw, norm_bias: true }));
    expect(() => readModelFolder(dir)).toThrow(/model\.safetensors: tensor "embeddings\.norm\.bias" is missing/);
  });
});

describe('save and export', () => {
  it('save keeps ModernBERT tensor names, shapes and config; the saved folder embeds the same', async () => {
    const folder = readModelFolder(SRC);
    const out = path.join(tmp, 'saved');
    saveModelFolder(folder, out);
    const again = readModelFolder(out);
    expect([...again.weights.keys()].sort()).toEqual([...folder.weights.keys()].sort());
    for (const [name, t] of folder.weights) expect(Buffer.from(again.weights.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer)), name).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'))).toEqual(rawConfig());
    expect([again.pooling, again.normalize, again.maxSeqLength]).toEqual(['mean', true, 64]);
    expect(maxAbsDiff(await embed(out), exp.embeddings)).toBeLessThan(TOL);
  });

  it(`export: onnxruntime-node and transformers.js load onnx/model.onnx and match sentence-transformers within ${TOL}`, async () => {
    const out = path.join(tmp, 'exported');
    const r = await exportOnnx(SRC, out, { quantize: 'int8' });
    expect(r.maxAbsDiff).toBeLessThanOrEqual(1e-6);
    const session = await ort.InferenceSession.create(r.onnxPath);
    expect(session.inputNames).toEqual(['input_ids', 'attention_mask']);
    await session.release();
    const m = await loadExportedOnnx(out);
    expect(maxAbsDiff(await m.encode(exp.texts, { batchSize: 5 }), exp.embeddings)).toBeLessThan(TOL);
    const batch = m.tokenizer.encodeBatch(exp.texts);
    await m.release();
    expect(r.int8!.minCosine).toBeGreaterThan(0.99);

    const model = await AutoModel.from_pretrained('exported', { dtype: 'fp32', local_files_only: true });
    const t = (a: Int32Array) => new Tensor('int64', BigInt64Array.from(a, BigInt), [batch.batchSize, batch.seqLen]);
    const res = await model({ input_ids: t(batch.inputIds), attention_mask: t(batch.attentionMask) });
    const data = res.sentence_embedding.data as Float32Array, H = exp.case.hidden;
    await model.dispose();
    expect(maxAbsDiff(exp.texts.map((_: string, i: number) => data.slice(i * H, (i + 1) * H)), exp.embeddings)).toBeLessThan(TOL);
  });
});

describe('the tfjs engine', () => {
  it('refuses ModernBERT with a one-line error pointing at the onnx engine', async () => {
    const { loadModel } = await import('../../src/tfjs/model.js');
    await expect(loadModel(SRC)).rejects.toThrow(/tiny-modernbert: modernbert models run on the onnx engine only \(tfjs computes bert, xlm-roberta\); use --engine onnx/);
  });
});
