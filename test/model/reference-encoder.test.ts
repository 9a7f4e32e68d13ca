// The plain-JavaScript reference encoder (test/helpers/reference-encoder.ts) is itself checked
// here against sentence-transformers 6.0.1, before other tests use it as an oracle.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { erf, maxAbsDiff, readF32Safetensors, referenceEmbeddings, referenceTokenize } from '../helpers/reference-encoder.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;

describe('reference encoder', () => {
  it('erf matches tabulated values to 1e-15', () => {
    // Abramowitz & Stegun table 7.1 / Wolfram: erf(0.5), erf(1), erf(2), erf(3.5), erf(-1.5)
    const table: [number, number][] = [
      [0, 0], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527],
      [3.5, 0.9999992569016276], [-1.5, -0.9661051464753108],
    ];
    for (const [x, want] of table) expect(Math.abs(erf(x) - want), `erf(${x})`).toBeLessThan(1e-15);
  });

  for (const [name, pooling, normalize] of [['tiny-bert', 'mean', true], ['tiny-xlmr', 'max', false]] as const) {
    it(`reproduces ${name} sentence-transformers embeddings (16 texts) within 1e-5`, () => {
      const exp = JSON.parse(fs.readFileSync(`${FIX}${name}.expected.json`, 'utf8'));
      const dir = `${FIX}${name}`;
      const config = JSON.parse(fs.readFileSync(`${dir}/config.json`, 'utf8'));
      const maxSeqLength = JSON.parse(fs.readFileSync(`${dir}/tokenizer_config.json`, 'utf8')).model_max_length;
      const ids = referenceTokenize(dir, exp.texts, maxSeqLength);
      const got = referenceEmbeddings({ config, weights: readF32Safetensors(`${dir}/model.safetensors`), pooling, normalize, maxSeqLength }, ids);
      expect(exp.texts).toContain('');
      expect(Math.max(...ids.map((r) => r.length))).toBe(maxSeqLength); // the long text is truncated
      expect(maxAbsDiff(got, exp.embeddings)).toBeLessThan(1e-5);
    });
  }
});
