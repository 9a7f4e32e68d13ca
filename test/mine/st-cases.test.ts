import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { BI_ENCODER, CROSS_ENCODER, readJsonl, stCases, tempDir, writeStInputs } from './helpers.js';

// sentence-transformers' float32 scores against ours (float32 embeddings and logits, float64 sums).
const TOL = 1e-5;

const FLAGS: Record<string, string> = {
  range_min: '--range-min', range_max: '--range-max', num_negatives: '--num-negatives', sampling_strategy: '--sampling-strategy',
  relative_margin: '--relative-margin', absolute_margin: '--absolute-margin', max_score: '--max-score', min_score: '--min-score',
};

describe('densetrain mine reproduces sentence-transformers mine_hard_negatives', () => {
  const fx = stCases();
  const dir = tempDir();
  const inputs = writeStInputs(dir, fx);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [name, c] of Object.entries(fx.cases)) {
    it(`${name}: ${JSON.stringify(c.args)}`, async () => {
      const output = path.join(dir, `${name}.jsonl`);
      const argv = ['mine', '--model', BI_ENCODER, '--data', inputs.data, '--corpus', inputs.corpus, '--output', output,
        '--query-column', 'query', '--positive-column', 'answer', '--output-format', 'n-tuple'];
      for (const [k, v] of Object.entries(c.args)) {
        if (k === 'cross_encoder') {
          if (v !== null) argv.push('--cross-encoder', CROSS_ENCODER);
        } else argv.push(FLAGS[k], String(v));
      }
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      try {
        await main(argv);
      } finally {
        log.mockRestore();
      }
      const rows = readJsonl(output);
      // the same rows (dropped queries included) in the same order, with the same negatives in the same order
      expect(rows.map((r) => r.query)).toEqual(c.rows.map((r) => r.query));
      rows.forEach((row, i) => {
        const want = c.rows[i];
        expect(Object.keys(row)).toEqual(Object.keys(want));
        const { scores, ...texts } = row;
        const { scores: wantScores, ...wantTexts } = want;
        expect(texts).toEqual(wantTexts);
        const got = scores as number[];
        const ref = wantScores as number[];
        expect(got).toHaveLength(ref.length);
        for (let j = 0; j < ref.length; j++) expect(Math.abs(got[j] - ref[j]), `${name} row ${i} score ${j}`).toBeLessThanOrEqual(TOL);
      });
    });
  }
});
