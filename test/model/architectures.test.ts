// The architectures only the ONNX graph computes (DistilBERT, RoBERTa, MPNet): their config.json
// keys and tensor names, the errors for what densetrain does not compute, the tfjs path refusing
// them with the way out, and train.engine auto choosing onnx for them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasTokenTypeInput, layerNames, normParameterNames, parseConfig, positionLimit, weightShapes } from '../../src/model/config.js';
import { readModelFolder } from '../../src/model/folder.js';
import { loadModel } from '../../src/tfjs/model.js';
import { readSafetensors, writeSafetensors } from '../../src/model/safetensors.js';
import { resolveEngine } from '../../src/train/engine.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-arch-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('config.json of each architecture', () => {
  it('distilbert: dim, n_layers, n_heads, hidden_dim, activation, dropout keys; no token types; positions 0..L-1', () => {
    const c = readModelFolder(`${FIX}tiny-distilbert`).config;
    expect([c.modelType, c.hiddenSize, c.numLayers, c.numHeads, c.intermediateSize, c.maxPositions, c.activation]).toEqual(['distilbert', 32, 2, 4, 64, 128, 'gelu']);
    expect([c.hiddenDropout, c.attentionDropout, c.layerNormEps, c.typeVocabSize]).toEqual([0, 0, 1e-12, 0]);
    expect(hasTokenTypeInput(c)).toBe(false);
    expect(positionLimit(c)).toBe(128);
    const dropouts = parseConfig({ ...c.raw, dropout: 0.3, attention_dropout: 0.2 });
    expect([dropouts.hiddenDropout, dropouts.attentionDropout]).toEqual([0.3, 0.2]);
  });

  it('roberta and mpnet: positions start at padding_idx + 1, so the table holds max_position_embeddings - 2 tokens', () => {
    for (const name of ['tiny-roberta', 'tiny-mpnet']) {
      const c = readModelFolder(`${FIX}${name}`).config;
      expect(positionLimit(c), name).toBe(128);
      expect(hasTokenTypeInput(c), name).toBe(false);
    }
    expect(readModelFolder(`${FIX}tiny-mpnet`).config.relativeBuckets).toBe(32);
  });

  it('the expected tensor names are exactly the fixtures\' (pooler aside), in PyTorch shapes', () => {
    for (const name of ['tiny-distilbert', 'tiny-roberta', 'tiny-mpnet']) {
      const file = readSafetensors(`${FIX}${name}/model.safetensors`);
      const shapes = weightShapes(readModelFolder(`${FIX}${name}`).config);
      const inFile = [...file.keys()].filter((k) => !k.startsWith('pooler.')).sort();
      expect([...shapes.keys()].sort(), name).toEqual(inFile);
      for (const [k, s] of shapes) expect(file.get(k)!.shape, k).toEqual(s);
    }
  });

  it('normalisation parameters by module: DistilBERT sa_layer_norm / output_layer_norm, MPNet attention.LayerNorm', () => {
    const d = readModelFolder(`${FIX}tiny-distilbert`).config;
    expect(normParameterNames(d)).toContain('transformer.layer.1.sa_layer_norm.weight');
    expect(normParameterNames(d)).toContain('transformer.layer.0.output_layer_norm.bias');
    expect(normParameterNames(d).size).toBe(2 + 2 * 2 * 2);
    expect(layerNames(d, 1).ffnIn).toBe('transformer.layer.1.ffn.lin1');
    const m = readModelFolder(`${FIX}tiny-mpnet`).config;
    expect(normParameterNames(m)).toContain('encoder.layer.0.attention.LayerNorm.weight');
    expect(normParameterNames(m)).not.toContain('encoder.relative_attention_bias.weight');
  });

  it('what densetrain does not compute is a one-line error naming the file and key', () => {
    const distil = readJson(`${FIX}tiny-distilbert/config.json`);
    expect(() => parseConfig({ ...distil, sinusoidal_pos_embds: true }, 'x/config.json')).toThrow(/^x\/config\.json: sinusoidal_pos_embds true is not supported/);
    expect(() => parseConfig({ ...distil, activation: 'relu' }, 'x/config.json')).toThrow('x/config.json: activation "relu" is not supported (gelu, gelu_new, gelu_pytorch_tanh)');
    expect(() => parseConfig({ ...distil, n_heads: 5 }, 'x/config.json')).toThrow('x/config.json: dim 32 is not divisible by n_heads 5');
    expect(() => parseConfig({ ...distil, dim: undefined }, 'x/config.json')).toThrow('x/config.json: "dim" must be a non-negative integer, got undefined');
    const mpnet = readJson(`${FIX}tiny-mpnet/config.json`);
    expect(() => parseConfig({ ...mpnet, relative_attention_num_buckets: 16 }, 'x/config.json')).toThrow('x/config.json: relative_attention_num_buckets 16 is below the 32 buckets MPNet computes');
    expect(() => parseConfig({ ...mpnet, model_type: 'gpt2' }, 'x/config.json')).toThrow('x/config.json: model_type "gpt2" is not supported (densetrain reads "bert", "xlm-roberta", "roberta", "distilbert", "mpnet", "modernbert")');
  });

  it('checkpoints whose names carry the architecture prefix (distilbert., mpnet.) load', () => {
    for (const [name, prefix] of [['tiny-distilbert', 'distilbert.'], ['tiny-mpnet', 'mpnet.']]) {
      const dir = path.join(tmp, `${name}-prefixed`);
      fs.cpSync(`${FIX}${name}`, dir, { recursive: true });
      const w = readSafetensors(path.join(dir, 'model.safetensors'));
      writeSafetensors(path.join(dir, 'model.safetensors'), new Map([...w].map(([k, t]) => [prefix + k, t])));
      expect([...readModelFolder(dir).weights.keys()].sort()).toEqual([...w.keys()].sort());
    }
  });
});

describe('engines', () => {
  it('the tfjs encoder refuses them and says to use the onnx engine', async () => {
    for (const name of ['tiny-distilbert', 'tiny-roberta', 'tiny-mpnet']) {
      const arch = readJson(`${FIX}${name}/config.json`).model_type;
      await expect(loadModel(`${FIX}${name}`)).rejects.toThrow(`${FIX}${name}: ${arch} models run on the onnx engine only (tfjs computes bert, xlm-roberta); use --engine onnx (train.engine: onnx or auto)`);
    }
  });

  it('train.engine auto means onnx; tfjs and onnx stay as asked', () => {
    expect(resolveEngine('auto')).toBe('onnx');
    expect(resolveEngine('tfjs')).toBe('tfjs'); // for these architectures the engine's load then says why not
    expect(resolveEngine('onnx')).toBe('onnx');
    expect(() => resolveEngine('gpu')).toThrow('train.engine: "gpu" is not one of auto, tfjs, onnx');
  });
});
