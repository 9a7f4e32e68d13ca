// Prompts as sentence-transformers has them: a prompt gives the embeddings of the prompt-prefixed
// text; default_prompt_name applies when no prompt is given; encode_query / encode_document roles;
// include_prompt false leaves the prompt's tokens out of the pooling, checked against the float64
// reference encoder (test/helpers/reference-encoder.ts) pooling the non-prompt tokens itself, through
// the tfjs model and the in-memory ONNX encoder; an exported file pools every token.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tfjs/backend.js';
import { loadExportedOnnx, loadOnnxModel } from '../../src/graphs/onnx-encoder.js';
import { exportOnnx } from '../../src/export/export.js';
import { readModelFolder } from '../../src/model/folder.js';
import { loadModel } from '../../src/tfjs/model.js';
import { saveModelFolder } from '../../src/model/save.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';
import { maxAbsDiff, readF32Safetensors, referenceHidden, referencePool, referenceTokenize } from '../helpers/reference-encoder.js';

const FIX = new URL('../fixtures/tiny-bert', import.meta.url).pathname;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prompts-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const TEXTS = ['What is the capital of France?', '', 'a b c d e f g h i j k l m n o p q r s t u v w x y z '.repeat(6), 'Berlin is in Germany.'];

/** A copy of tiny-bert with `pooling` merged into 1_Pooling/config.json and `st` into config_sentence_transformers.json. */
function variant(name: string, pooling: Record<string, unknown>, st: Record<string, unknown> = {}): string {
  const dir = path.join(tmp, name);
  fs.cpSync(FIX, dir, { recursive: true });
  const edit = (f: string, patch: Record<string, unknown>) => {
    const file = path.join(dir, f);
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), ...patch }));
  };
  edit('1_Pooling/config.json', pooling);
  edit('config_sentence_transformers.json', st);
  return dir;
}

/** The reference embedding of prompt + text with the first `skip` tokens left out of the mean. */
function reference(dir: string, texts: string[], prompt: string, skip: number): Float64Array[] {
  const config = JSON.parse(fs.readFileSync(`${dir}/config.json`, 'utf8'));
  const weights = readF32Safetensors(`${dir}/model.safetensors`);
  const maxLen = JSON.parse(fs.readFileSync(`${dir}/tokenizer_config.json`, 'utf8')).model_max_length;
  return referenceTokenize(dir, texts.map((t) => prompt + t), maxLen).map((ids) => referencePool(referenceHidden(config, weights, ids).slice(skip), 'mean', true));
}

let excluding: string, withDefault: string;
beforeAll(async () => {
  await initBackend('wasm');
  excluding = variant('exclude', { include_prompt: false }, { prompts: { query: 'query: ', document: 'passage: ' } });
  withDefault = variant('default', {}, { prompts: { query: 'query: ', retrieval: 'Represent this text: ' }, default_prompt_name: 'retrieval' });
});

describe('prompt length', () => {
  it("is the prompt's ids alone less the closing [SEP], as sentence-transformers counts it", () => {
    const tok = loadTokenizer(FIX, 64);
    const ids = referenceTokenize(FIX, ['query: '], 64)[0];
    const sep = JSON.parse(fs.readFileSync(`${FIX}/tokenizer.json`, 'utf8')).added_tokens.find((t: any) => t.content === '[SEP]').id;
    expect(ids[ids.length - 1]).toBe(sep);
    expect(tok.promptLength('query: ')).toBe(ids.length - 1);
    expect(tok.promptLength('query: ')).toBeGreaterThanOrEqual(3); // [CLS], at least one token for "query", ":"
  });
});

describe('a prompt gives the embeddings of the prompt-prefixed text (include_prompt true)', () => {
  for (const engine of ['tfjs', 'onnx'] as const) {
    it(engine, async () => {
      const m = engine === 'tfjs' ? await loadModel(FIX) : await loadOnnxModel(FIX);
      const prefixed = await m.encode(TEXTS.map((t) => 'query: ' + t));
      expect(maxAbsDiff(await m.encode(TEXTS, { prompt: 'query: ' }), prefixed)).toBe(0);
      expect(maxAbsDiff(await m.encode(TEXTS), prefixed)).toBeGreaterThan(1e-3); // the prompt matters
      // tiny-bert's query prompt is "" (sentence-transformers' empty default): naming it changes nothing
      expect(maxAbsDiff(await m.encode(TEXTS, { promptName: 'query' }), await m.encode(TEXTS))).toBe(0);
      await ('release' in m ? m.release() : m.dispose());
    });
  }
});

describe('default_prompt_name and the query / document roles', () => {
  for (const engine of ['tfjs', 'onnx'] as const) {
    it(`${engine}: no prompt given means the default prompt; encodeAs uses the role's prompt, '' when the folder has none`, async () => {
      const m = engine === 'tfjs' ? await loadModel(withDefault) : await loadOnnxModel(withDefault);
      const p = (prompt: string) => m.encode(TEXTS.map((t) => prompt + t), { prompt: '' });
      expect(maxAbsDiff(await m.encode(TEXTS), await p('Represent this text: '))).toBe(0);
      expect(maxAbsDiff(await m.encodeAs('query', TEXTS), await p('query: '))).toBe(0);
      // sentence-transformers' encode_document takes the (empty) document prompt, not the default
      expect(maxAbsDiff(await m.encodeAs('document', TEXTS), await p(''))).toBe(0);
      expect(maxAbsDiff(await m.encode(TEXTS, { promptName: 'retrieval' }), await m.encode(TEXTS))).toBe(0);
      await expect(m.encode(TEXTS, { prompt: 'x', promptName: 'query' })).rejects.toThrow('give a prompt or a prompt name, not both');
      await ('release' in m ? m.release() : m.dispose());
    });
  }

  it('a default_prompt_name that is not a prompt is an error naming the file', () => {
    const dir = variant('bad-default', {}, { prompts: { query: 'q: ' }, default_prompt_name: 'passage' });
    expect(() => readModelFolder(dir)).toThrow(`${dir}/config_sentence_transformers.json: default_prompt_name "passage" is not one of its prompts (query)`);
  });

  it('include_prompt and default_prompt_name survive a save', () => {
    const out = path.join(tmp, 'saved');
    saveModelFolder(readModelFolder(withDefault), out);
    expect(readModelFolder(out)).toMatchObject({ defaultPromptName: 'retrieval', includePrompt: true, prompts: { query: 'query: ', retrieval: 'Represent this text: ' } });
    const out2 = path.join(tmp, 'saved2');
    saveModelFolder(readModelFolder(excluding), out2);
    expect(JSON.parse(fs.readFileSync(`${out2}/1_Pooling/config.json`, 'utf8')).include_prompt).toBe(false);
    expect(readModelFolder(out2).includePrompt).toBe(false);
  });
});

describe('include_prompt false: the prompt tokens are left out of the mean', () => {
  let skip: number;
  beforeAll(() => (skip = loadTokenizer(FIX, 64).promptLength('query: ')));

  for (const engine of ['tfjs', 'onnx'] as const) {
    it(`${engine}: equals the reference mean over the non-prompt tokens within 1e-5`, async () => {
      const m = engine === 'tfjs' ? await loadModel(excluding) : await loadOnnxModel(excluding);
      const got = await m.encodeAs('query', TEXTS);
      expect(maxAbsDiff(got, reference(excluding, TEXTS, 'query: ', skip))).toBeLessThan(1e-5);
      // differs from pooling every token, which is what the same text gets without a prompt
      const all = await m.encode(TEXTS.map((t) => 'query: ' + t));
      expect(maxAbsDiff(all, reference(excluding, TEXTS, 'query: ', 0))).toBeLessThan(1e-5);
      expect(maxAbsDiff(got, all)).toBeGreaterThan(1e-3);
      await ('release' in m ? m.release() : m.dispose());
    });
  }

  it('the exported file has no prompt_length input and pools every token; encoding it with a prompt is an error', async () => {
    const out = path.join(tmp, 'exported');
    await exportOnnx(excluding, out);
    const m = await loadExportedOnnx(out);
    expect(m.session.inputNames).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
    expect(maxAbsDiff(await m.encode(TEXTS, { prompt: '' }), reference(excluding, TEXTS, '', 0))).toBeLessThan(1e-5);
    await expect(m.encode(TEXTS, { promptName: 'query' })).rejects.toThrow(`${out}/onnx/model.onnx: has no prompt_length input`);
    await m.release();
    const inMemory = await loadOnnxModel(excluding);
    expect(inMemory.session.inputNames).toContain('prompt_length');
    await inMemory.release();
  });
});
