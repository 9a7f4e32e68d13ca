// Cross-encoders on onnxruntime against the sentence-transformers 6.0.1 fixtures (14 pairs each,
// an empty query and a pair longer than max_length 64 among them): raw logits, CrossEncoder.predict
// scores, pair truncation and the folder errors.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCrossEncoder } from '../../src/graphs/cross-encoder.js';
import { loadPairTokenizer, longestFirst } from '../../src/model/pair-tokenizer.js';
import { withConfigNormalizer } from '../../src/model/tokenizer.js';
import { readSafetensors, writeSafetensors } from '../../src/model/safetensors.js';

const FIX = new URL('../fixtures/mining/', import.meta.url).pathname;
const EXP = JSON.parse(fs.readFileSync(`${FIX}cross-encoder.expected.json`, 'utf8'));
const TOL = 1e-5;
const maxDiff = (a: ArrayLike<number>, b: number[]) => Math.max(...b.map((v, i) => Math.abs(a[i] - v)));
/** Pairs whose texts have no combining accents once NFD-decomposed. */
const plain = (t: string) => t.normalize('NFD') === t;

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-ce-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A copy of a fixture folder with one JSON file changed. */
function variant(name: string, file: string, change: (j: any) => void): string {
  const dir = path.join(tmp, `${name}-${Math.random().toString(36).slice(2)}`);
  fs.cpSync(`${FIX}${name}`, dir, { recursive: true });
  const f = path.join(dir, file);
  const j = JSON.parse(fs.readFileSync(f, 'utf8'));
  change(j);
  fs.writeFileSync(f, JSON.stringify(j));
  return dir;
}

describe('cross-encoders match transformers and sentence-transformers', () => {
  for (const name of ['tiny-ce-bert', 'tiny-ce-xlmr']) {
    const e = EXP[name];
    it(`${name}: predict gives CrossEncoder.predict's scores (${e.st_activation}) within ${TOL} for all ${e.pairs.length} pairs, any batch size`, async () => {
      const ce = await loadCrossEncoder(`${FIX}${name}`, { maxLength: e.max_length });
      expect(ce.maxLength).toBe(64);
      try {
        for (const batchSize of [32, 3, 1]) {
          const { logits, scores } = await ce.predict(e.pairs, { batchSize });
          expect(maxDiff(scores, e.st_predict), `batch size ${batchSize}`).toBeLessThan(TOL);
          for (let i = 0; i < logits.length; i++) expect(scores[i]).toBeCloseTo(1 / (1 + Math.exp(-logits[i])), 6);
        }
      } finally {
        await ce.release();
      }
    });
  }

  it("tiny-ce-xlmr: logits equal the fixture's logits within 1e-5 for every pair (the 64-token truncation included)", async () => {
    const e = EXP['tiny-ce-xlmr'];
    const ce = await loadCrossEncoder(`${FIX}tiny-ce-xlmr`, { maxLength: 64 });
    expect(maxDiff((await ce.predict(e.pairs)).logits, e.logits)).toBeLessThan(TOL);
    await ce.release();
  });

  // The fixture's tokenizer.json says strip_accents false, its tokenizer_config.json null (which
  // strips accents when lowercasing). transformers' BERT tokenizer takes the config's value, so
  // CrossEncoder.predict (st_predict) strips accents; the fixture's `logits` were tokenized by
  // tokenizer.json as written. Both are reproduced: the folder as is gives st_predict's
  // tokenization, and with the config agreeing with tokenizer.json every logit matches.
  it("tiny-ce-bert: logits equal the fixture's for every pair when tokenizer_config agrees with tokenizer.json, and for accent-free pairs as is", async () => {
    const e = EXP['tiny-ce-bert'];
    const agreeing = variant('tiny-ce-bert', 'tokenizer_config.json', (j) => (j.strip_accents = false));
    const ce = await loadCrossEncoder(agreeing, { maxLength: 64 });
    expect(maxDiff((await ce.predict(e.pairs)).logits, e.logits)).toBeLessThan(TOL);
    await ce.release();

    const asIs = await loadCrossEncoder(`${FIX}tiny-ce-bert`, { maxLength: 64 });
    const { logits } = await asIs.predict(e.pairs);
    await asIs.release();
    const idx = e.pairs.map((p: string[], i: number) => (p.every(plain) ? i : -1)).filter((i: number) => i >= 0);
    expect(idx.length).toBe(8);
    expect(maxDiff(idx.map((i: number) => logits[i]), idx.map((i: number) => e.logits[i]))).toBeLessThan(TOL);
    // ...and the accented pairs do differ, so the comparison above is not vacuous.
    expect(e.pairs.some((p: string[]) => !p.every(plain))).toBe(true);
    expect(maxDiff(logits, e.logits)).toBeGreaterThan(0.1);
  });

  it('the default max length is tokenizer_config.json model_max_length, capped by the positions', async () => {
    const huge = await loadCrossEncoder(`${FIX}tiny-ce-xlmr`); // model_max_length is HF's "unset" sentinel
    expect(huge.maxLength).toBe(128); // 130 positions - padding_idx 1 - 1
    await huge.release();
    const set = await loadCrossEncoder(variant('tiny-ce-bert', 'tokenizer_config.json', (j) => (j.model_max_length = 64)));
    expect(set.maxLength).toBe(64);
    const e = EXP['tiny-ce-bert'];
    expect(maxDiff((await set.predict(e.pairs)).scores, e.st_predict)).toBeLessThan(TOL);
    await set.release();
  });

  it('an empty pair list gives empty results', async () => {
    const ce = await loadCrossEncoder(`${FIX}tiny-ce-bert`);
    const r = await ce.predict([]);
    expect([r.logits.length, r.scores.length]).toEqual([0, 0]);
    await ce.release();
  });
});

describe('pair truncation (tokenizers longest_first)', () => {
  it('hand-computed lengths', () => {
    expect(longestFirst(3, 4, 10)).toEqual([3, 4]); // fits
    expect(longestFirst(3, 20, 10)).toEqual([3, 7]); // only the longer is cut
    expect(longestFirst(20, 3, 10)).toEqual([7, 3]);
    expect(longestFirst(8, 9, 11)).toEqual([5, 6]); // both cut: floor half, the longer takes the odd token
    expect(longestFirst(9, 8, 11)).toEqual([6, 5]);
    expect(longestFirst(8, 8, 11)).toEqual([5, 6]); // a tie: the second takes it
    expect(longestFirst(30, 40, 10)).toEqual([5, 5]);
  });

  it('BERT: [CLS] A [SEP] B [SEP] with B typed 1; XLM-R: <s> A </s></s> B </s>; both cut to max length', () => {
    const bert = loadPairTokenizer(`${FIX}tiny-ce-bert`, 12);
    const b = bert.encodePair('a a a a a a a a a a', 'a a a a a a a a a a a a');
    expect(b.ids).toHaveLength(12);
    expect([b.ids[0], b.ids[5], b.ids[11]]).toEqual([2, 3, 3]); // 9 tokens left: 4 + 5
    expect(b.typeIds).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    const x = loadPairTokenizer(`${FIX}tiny-ce-xlmr`, 64).encodePair('', 'a');
    expect(x.ids[0]).toBe(0);
    expect(x.ids.slice(1, 3)).toEqual([2, 2]); // empty A, then the double separator
    expect(x.ids.at(-1)).toBe(2);
    expect(x.typeIds.every((t) => t === 0)).toBe(true);
  });

  it("tokenizer_config.json's BERT flags win over tokenizer.json's normalizer; other tokenizers are left alone", () => {
    const json = { normalizer: { type: 'BertNormalizer', lowercase: true, strip_accents: false, handle_chinese_chars: true } };
    expect(withConfigNormalizer(json, { tokenizer_class: 'BertTokenizer', strip_accents: null }).normalizer.strip_accents).toBeNull();
    expect(withConfigNormalizer(json, { tokenizer_class: 'BertTokenizerFast', do_lower_case: false }).normalizer).toMatchObject({ lowercase: false, strip_accents: false });
    expect(withConfigNormalizer(json, { tokenizer_class: 'XLMRobertaTokenizer', strip_accents: null })).toBe(json);
  });
});

describe('cross-encoder folder errors', () => {
  it('more than one label: names num_labels, id2label and the file', async () => {
    const dir = variant('tiny-ce-bert', 'config.json', (j) => {
      j.id2label = { 0: 'irrelevant', 1: 'relevant' };
      j.label2id = { irrelevant: 0, relevant: 1 };
    });
    await expect(loadCrossEncoder(dir)).rejects.toThrow(
      `${dir}/config.json: num_labels is 2 (id2label {"0":"irrelevant","1":"relevant"}); densetrain scores with one-label cross-encoders only (one logit per pair)`,
    );
  });

  it('weights with more outputs than config.json says: names the tensor', async () => {
    const dir = path.join(tmp, 'two-rows');
    fs.cpSync(`${FIX}tiny-ce-bert`, dir, { recursive: true });
    const w = readSafetensors(path.join(dir, 'model.safetensors'));
    const c = w.get('classifier.weight')!;
    w.set('classifier.weight', { shape: [2, c.shape[1]], data: new Float32Array(2 * c.shape[1]) });
    w.set('classifier.bias', { shape: [2], data: new Float32Array(2) });
    writeSafetensors(path.join(dir, 'model.safetensors'), w);
    await expect(loadCrossEncoder(dir)).rejects.toThrow(`${dir}: tensor "classifier.weight" has 2 output rows, but config.json says one label`);
  });

  it('a sentence-transformers bi-encoder folder is not a cross-encoder', async () => {
    const dir = variant('tiny-ce-bert', 'config.json', (j) => (j.architectures = ['BertModel']));
    await expect(loadCrossEncoder(dir)).rejects.toThrow(`${dir}/config.json: architectures "BertModel" is not a cross-encoder densetrain runs (BertForSequenceClassification, XLMRobertaForSequenceClassification)`);
  });

  it('an activation sentence-transformers names: Identity leaves scores as logits; an unknown one is an error', async () => {
    const e = EXP['tiny-ce-xlmr'];
    const id = await loadCrossEncoder(variant('tiny-ce-xlmr', 'config.json', (j) => (j.sentence_transformers = { activation_fn: 'torch.nn.modules.linear.Identity' })), { maxLength: 64 });
    const r = await id.predict(e.pairs);
    expect(Array.from(r.scores)).toEqual(Array.from(r.logits));
    await id.release();
    const bad = variant('tiny-ce-xlmr', 'config.json', (j) => (j.sentence_transformers = { activation_fn: 'torch.nn.modules.activation.Tanh' }));
    await expect(loadCrossEncoder(bad)).rejects.toThrow(`${bad}/config.json: sentence_transformers.activation_fn "torch.nn.modules.activation.Tanh" is not supported (Sigmoid, Identity)`);
  });

  it('a max length past the positions', async () => {
    await expect(loadCrossEncoder(`${FIX}tiny-ce-xlmr`, { maxLength: 129 })).rejects.toThrow(`max_seq_length 129 is more than the 128 positions the model has (${FIX}tiny-ce-xlmr/config.json: max_position_embeddings 130`);
  });
});
