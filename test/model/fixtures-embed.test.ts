// loadModel + encode on the two sentence-transformers 6.0.1 fixtures (16 texts each, the empty
// string and a 300-word text among them), on the wasm and cpu backends.
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tfjs/backend.js';
import { loadModel, type SentenceModel } from '../../src/tfjs/model.js';
import { maxAbsDiff } from '../helpers/reference-encoder.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const TOL = 1e-5;

for (const backend of ['wasm', 'cpu']) {
  for (const [name, pooling, normalize, maxLen] of [['tiny-bert', 'mean', true, 64], ['tiny-xlmr', 'max', false, 40]] as const) {
    describe(`${name} on ${backend}`, () => {
      const exp = JSON.parse(fs.readFileSync(`${FIX}${name}.expected.json`, 'utf8'));
      let m: SentenceModel;
      beforeAll(async () => {
        await initBackend(backend);
        expect(tf.getBackend()).toBe(backend);
        m = await loadModel(`${FIX}${name}`);
      });
      afterAll(() => m.dispose());

      it('reads the 6.x layout: pooling, normalize, max_seq_length from tokenizer_config', () => {
        expect([m.folder.pooling, m.folder.normalize, m.folder.maxSeqLength]).toEqual([pooling, normalize, maxLen]);
      });

      it(`encode reproduces sentence-transformers for all 16 texts within ${TOL}, whatever the batch size`, async () => {
        for (const batchSize of [16, 3]) {
          const got = await m.encode(exp.texts, { batchSize });
          expect(got).toHaveLength(16);
          expect(maxAbsDiff(got, exp.embeddings), `batch size ${batchSize}`).toBeLessThan(TOL);
        }
      });

      it('embed (the training path) on one padded batch gives the same embeddings', async () => {
        const e = m.embed(m.tokenizer.encodeBatch(exp.texts));
        const rows = (await e.array()) as number[][];
        e.dispose();
        expect(maxAbsDiff(rows, exp.embeddings)).toBeLessThan(TOL);
      });

      it('encode and embed leave the tfjs tensor count flat', async () => {
        await m.encode(exp.texts.slice(0, 4)); // first call may create backend-cached tensors
        const before = tf.memory().numTensors;
        await m.encode(exp.texts, { batchSize: 5 });
        m.embed(m.tokenizer.encodeBatch(exp.texts.slice(0, 3))).dispose();
        expect(tf.memory().numTensors).toBe(before);
      });
    });
  }
}
