// Broken model folders: each gives an error that names the file and the key or tensor at fault.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelFolder } from '../../src/model/folder.js';
import { writeRandomFolder, writeSafetensorsFile } from '../helpers/random-folder.js';
import { readF32Safetensors } from '../helpers/reference-encoder.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
let tmp: string;
let n = 0;

/** A copy of tiny-bert, changed by `edit`. */
function brokenCopy(edit: (dir: string) => void): string {
  const dir = path.join(tmp, `case-${n++}`);
  fs.cpSync(`${FIX}tiny-bert`, dir, { recursive: true });
  edit(dir);
  return dir;
}

const editJson = (file: string, f: (j: any) => void) => {
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  f(j);
  fs.writeFileSync(file, JSON.stringify(j));
};

/** Rewrite model.safetensors with `change` applied to its tensors. */
const editWeights = (dir: string, change: (w: Map<string, any>) => void) => {
  const file = path.join(dir, 'model.safetensors');
  const w = readF32Safetensors(file);
  change(w);
  writeSafetensorsFile(file, w);
};

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The error names the file, then says `what`. */
const errorAbout = (file: string, what: string) => new RegExp(`^${escape(file)}: .*${escape(what)}`);

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-bad-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('readModelFolder rejects broken folders with the file and the key or tensor', () => {
  it('missing config.json', () => {
    const dir = brokenCopy((d) => fs.rmSync(path.join(d, 'config.json')));
    expect(() => readModelFolder(dir)).toThrow(errorAbout(path.join(dir, 'config.json'), 'missing'));
  });

  it('malformed config.json', () => {
    const dir = brokenCopy((d) => fs.writeFileSync(path.join(d, 'config.json'), '{"model_type": "bert",'));
    expect(() => readModelFolder(dir)).toThrow(errorAbout(path.join(dir, 'config.json'), 'not valid JSON'));
  });

  it('unsupported model_type', () => {
    const dir = brokenCopy((d) => editJson(path.join(d, 'config.json'), (j) => (j.model_type = 'gpt2')));
    expect(() => readModelFolder(dir)).toThrow(errorAbout(path.join(dir, 'config.json'), 'model_type "gpt2" is not supported'));
  });

  it('a config key missing or of the wrong type', () => {
    const dir = brokenCopy((d) => editJson(path.join(d, 'config.json'), (j) => (j.num_hidden_layers = '2')));
    expect(() => readModelFolder(dir)).toThrow(errorAbout(path.join(dir, 'config.json'), '"num_hidden_layers" must be a non-negative integer'));
  });

  it('relative position embeddings', () => {
    const dir = brokenCopy((d) => editJson(path.join(d, 'config.json'), (j) => (j.position_embedding_type = 'relative_key')));
    expect(() => readModelFolder(dir)).toThrow(errorAbout(path.join(dir, 'config.json'), 'position_embedding_type "relative_key" is not supported'));
  });

  it('unsupported hidden_act', () => {
    const dir = brokenCopy((d) => editJson(path.join(d, 'config.json'), (j) => (j.hidden_act = 'relu')));
    expect(() => readModelFolder(dir)).toThrow(errorAbout(path.join(dir, 'config.json'), 'hidden_act "relu" is not supported'));
  });

  it('a safetensors tensor missing', () => {
    const dir = brokenCopy((d) => editWeights(d, (w) => w.delete('encoder.layer.1.output.dense.bias')));
    expect(() => readModelFolder(dir)).toThrow(errorAbout(path.join(dir, 'model.safetensors'), 'tensor "encoder.layer.1.output.dense.bias" is missing'));
  });

  it('a tensor of the wrong shape', () => {
    const dir = brokenCopy((d) => editWeights(d, (w) => {
      const t = w.get('encoder.layer.0.intermediate.dense.weight');
      w.set('encoder.layer.0.intermediate.dense.weight', { shape: [32, 64], data: t.data }); // transposed
    }));
    expect(() => readModelFolder(dir)).toThrow(errorAbout(path.join(dir, 'model.safetensors'),
      'tensor "encoder.layer.0.intermediate.dense.weight" has shape [32,64], config.json implies [64,32]'));
  });

  it('a tensor missing from a sharded checkpoint names the index', () => {
    const dir = path.join(tmp, 'sharded');
    writeRandomFolder(dir, { arch: 'bert', hidden: 16, layers: 1, heads: 2, intermediate: 32, layout: 'bare', pooling: 'mean', normalize: false, tokenizerMaxLength: 64, sharded: true, seed: 9 });
    editJson(path.join(dir, 'model.safetensors.index.json'), (j) => {
      // the second shard is no longer listed, so its tensors are missing
      for (const [k, v] of Object.entries(j.weight_map)) if (String(v).startsWith('model-00002')) delete j.weight_map[k];
    });
    expect(() => readModelFolder(dir)).toThrow(errorAbout(path.join(dir, 'model.safetensors.index.json'), 'is missing'));
  });

  it('a truncated safetensors file', () => {
    const dir = brokenCopy((d) => {
      const f = path.join(d, 'model.safetensors');
      fs.writeFileSync(f, fs.readFileSync(f).subarray(0, 50_000));
    });
    expect(() => readModelFolder(dir)).toThrow(errorAbout(path.join(dir, 'model.safetensors'), 'runs past the end of the file'));
  });

  it('no safetensors weights at all', () => {
    const dir = brokenCopy((d) => fs.renameSync(path.join(d, 'model.safetensors'), path.join(d, 'pytorch_model.bin')));
    expect(() => readModelFolder(dir)).toThrow(errorAbout(dir, 'no model.safetensors'));
  });

  it('missing tokenizer.json', () => {
    const dir = brokenCopy((d) => fs.rmSync(path.join(d, 'tokenizer.json')));
    expect(() => readModelFolder(dir)).toThrow(errorAbout(path.join(dir, 'tokenizer.json'), 'missing'));
  });

  it('unsupported pooling mode, 6.x key', () => {
    const dir = brokenCopy((d) => editJson(path.join(d, '1_Pooling/config.json'), (j) => (j.pooling_mode = 'weightedmean')));
    expect(() => readModelFolder(dir)).toThrow(errorAbout(path.join(dir, '1_Pooling/config.json'), 'pooling_mode "weightedmean" is not supported'));
  });

  it('unsupported pooling mode, classic keys', () => {
    const dir = brokenCopy((d) => fs.writeFileSync(path.join(d, '1_Pooling/config.json'),
      JSON.stringify({ word_embedding_dimension: 32, pooling_mode_mean_tokens: false, pooling_mode_mean_sqrt_len_tokens: true })));
    expect(() => readModelFolder(dir)).toThrow(errorAbout(path.join(dir, '1_Pooling/config.json'), 'pooling_mode_mean_sqrt_len_tokens is not supported'));
  });

  it('do_lower_case true (sentence-transformers would lowercase texts first), whatever max length is asked for', () => {
    const dir = brokenCopy((d) => fs.writeFileSync(path.join(d, 'sentence_bert_config.json'), JSON.stringify({ max_seq_length: 32, do_lower_case: true })));
    const want = errorAbout(path.join(dir, 'sentence_bert_config.json'), 'do_lower_case true is not supported');
    expect(() => readModelFolder(dir)).toThrow(want);
    expect(() => readModelFolder(dir, { maxSeqLength: 16 })).toThrow(want);
  });

  it('an unsupported module in modules.json', () => {
    const dir = brokenCopy((d) => editJson(path.join(d, 'modules.json'), (j) => j.push({ idx: 3, name: '3', path: '3_Dense', type: 'sentence_transformers.models.Dense' })));
    expect(() => readModelFolder(dir)).toThrow(errorAbout(path.join(dir, 'modules.json'), 'module type "sentence_transformers.models.Dense" is not supported'));
  });
});
