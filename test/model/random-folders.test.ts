// Model folders outside the fixture suite (other sizes, layouts, activations, poolings, sharded
// and bfloat16 weights), written with random weights and checked against the plain-JavaScript
// reference encoder (itself checked against sentence-transformers in reference-encoder.test.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tfjs/backend.js';
import { loadModel } from '../../src/tfjs/model.js';
import { type FolderSpec, fixtureTexts, writeRandomFolder } from '../helpers/random-folder.js';
import { maxAbsDiff, type RefModel, referenceEmbeddings, referenceTokenize } from '../helpers/reference-encoder.js';

const TOL = 1e-5;
const texts = fixtureTexts();

const CASES: Record<string, FolderSpec> = {
  // hidden 48, 3 layers, 6 heads; CLS without Normalize; max_seq_length 24 from sentence_bert_config
  // wins over tokenizer_config's 512; prompts.
  'classic layout, BERT 48x3x6, cls, no normalize': {
    arch: 'bert', hidden: 48, layers: 3, heads: 6, intermediate: 96, layout: 'classic', pooling: 'cls', normalize: false,
    stMaxSeqLength: 24, tokenizerMaxLength: 512, prompts: { query: 'query: ', document: 'passage: ' }, seed: 1,
  },
  // 6.x names, max length from tokenizer_config, gelu_new, eps 1e-5, two shards with an index.
  '6.x layout, BERT 40x2x5, gelu_new, lasttoken + normalize, sharded': {
    arch: 'bert', hidden: 40, layers: 2, heads: 5, intermediate: 80, hiddenAct: 'gelu_new', layerNormEps: 1e-5,
    layout: 'st6', pooling: 'lasttoken', normalize: true, tokenizerMaxLength: 32, sharded: true, seed: 2,
  },
  // save_pretrained names (bert.*), no sentence-transformers files: mean pooling, no normalisation.
  'bare Hugging Face folder, bert.-prefixed names, bfloat16': {
    arch: 'bert', hidden: 32, layers: 2, heads: 2, intermediate: 64, layout: 'bare', pooling: 'mean', normalize: false,
    tokenizerMaxLength: 20, namePrefix: 'bert.', dtype: 'BF16', seed: 3,
  },
  // Unigram tokenizer of tiny-xlmr; 22 positions leave 20 tokens after RoBERTa's offset.
  'XLM-R 36x2x4, gelu_pytorch_tanh, classic mean + normalize, max length from positions': {
    arch: 'xlm-roberta', hidden: 36, layers: 2, heads: 4, intermediate: 72, hiddenAct: 'gelu_pytorch_tanh',
    maxPositions: 22, layout: 'classic', pooling: 'mean', normalize: true, tokenizerMaxLength: 1e30, seed: 4,
  },
  'XLM-R 6.x layout, max pooling, sharded': {
    arch: 'xlm-roberta', hidden: 24, layers: 3, heads: 3, intermediate: 40, layout: 'st6', pooling: 'max', normalize: false,
    tokenizerMaxLength: 28, sharded: true, seed: 5,
  },
};

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-folders-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

for (const backend of ['wasm', 'cpu']) {
  describe(`random folders on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    for (const [name, spec] of Object.entries(CASES)) {
      it(`${name}: matches the reference within ${TOL}`, async () => {
        const dir = path.join(tmp, `${backend}-${spec.seed}`);
        const ref: RefModel = writeRandomFolder(dir, spec);
        const m = await loadModel(dir);
        try {
          expect(m.folder.maxSeqLength).toBe(ref.maxSeqLength);
          expect(m.folder.pooling).toBe(ref.pooling);
          expect(m.folder.normalize).toBe(ref.normalize);
          const ids = referenceTokenize(dir, texts, ref.maxSeqLength);
          expect(Math.max(...ids.map((r) => r.length))).toBe(ref.maxSeqLength); // truncation is exercised
          const got = await m.encode(texts, { batchSize: 5 });
          expect(maxAbsDiff(got, referenceEmbeddings(ref, ids))).toBeLessThan(TOL);
          if (spec.prompts) {
            const q = await m.encode(texts.slice(0, 4), { promptName: 'query' });
            const qIds = referenceTokenize(dir, texts.slice(0, 4).map((t) => `query: ${t}`), ref.maxSeqLength);
            expect(maxAbsDiff(q, referenceEmbeddings(ref, qIds))).toBeLessThan(TOL);
            expect(await m.encodeAs('query', texts.slice(0, 4))).toEqual(q);
          } else {
            // encodeAs without a prompt of that name is plain encode
            expect(maxAbsDiff(await m.encodeAs('document', texts.slice(0, 4)), got.slice(0, 4))).toBeLessThan(1e-6);
          }
        } finally {
          m.dispose();
        }
      });
    }

    it('a bare folder takes pooling, normalisation and max length from options', async () => {
      const spec = CASES['bare Hugging Face folder, bert.-prefixed names, bfloat16'];
      const dir = path.join(tmp, `${backend}-bare-opts`);
      const ref = writeRandomFolder(dir, spec);
      const m = await loadModel(dir, { pooling: 'max', normalize: true, maxSeqLength: 12 });
      try {
        const ids = referenceTokenize(dir, texts, 12);
        const got = await m.encode(texts);
        expect(maxAbsDiff(got, referenceEmbeddings({ ...ref, pooling: 'max', normalize: true, maxSeqLength: 12 }, ids))).toBeLessThan(TOL);
      } finally {
        m.dispose();
      }
    });
  });
}
