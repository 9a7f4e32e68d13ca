// A micro-batch in parts of the step graph (step-graph.ts, src/train/step.ts stepInParts): the
// loss and gradients of the chunked step whatever the number of parts, with and without dropout,
// for mnrl and margin_mse; and the rows per part the memory budget allows.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { modeFor } from '../helpers/step-mode.js';
import { fitChunkBytes, type PartBudget, partRowsWithin } from '../../src/graphs/training/step-memory.js';
import type { LossBatch, LossConfig } from '../../src/losses/batch.js';
import { type ModelFolder, readModelFolder } from '../../src/model/folder.js';
import type { TensorMap } from '../../src/model/safetensors.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';
import { openOnnxEngine } from '../../src/train/onnx-engine.js';
import { lossAndGradients } from '../../src/train/step.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const MNRL: LossConfig = { name: 'mnrl', scale: 20, symmetric: false, mini_batch_size: 32 };
const MARGIN_MSE: LossConfig = { name: 'margin_mse', scale: 20, symmetric: false, mini_batch_size: 32 };

/** A fixture with dropout 0.1 (the fixtures' rates are 0), so the masks run through every path. */
function withDropout(name: string): ModelFolder {
  const folder = readModelFolder(`${FIX}${name}`);
  return name === 'tiny-modernbert' ? folder : { ...folder, config: { ...folder.config, hiddenDropout: 0.1, attentionDropout: 0.1 } };
}

function fixtureBatch(folder: ModelFolder, fixture: string): LossBatch {
  const b = JSON.parse(fs.readFileSync(`${FIX}${fixture}.expected.json`, 'utf8')).batch;
  const tok = loadTokenizer(folder.dir, folder.maxSeqLength);
  const rows = b.query.length;
  return { query: tok.encodeBatch(b.query), positive: tok.encodeBatch(b.positive), negatives: [tok.encodeBatch(b.negative)], teacherMargins: Float32Array.from({ length: rows }, (_, i) => 0.3 * i - 0.5) };
}

/** Largest |a - b| over all gradients, relative to the largest |a| (float32 rounding of two graphs). */
function worstRelative(a: TensorMap, b: TensorMap): number {
  let worst = 0, scale = 0;
  for (const [name, t] of a) {
    t.data.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - b.get(name)!.data[i]));
      scale = Math.max(scale, Math.abs(v));
    });
  }
  return worst / scale;
}

describe('a micro-batch in parts of the step graph', () => {
  for (const name of ['tiny-bert', 'tiny-xlmr', 'tiny-modernbert', 'tiny-mpnet']) {
    it(`${name}: 1, 2 and 3 parts give the chunked step's loss and gradients (loss <= 1e-5 relative, gradients <= 1e-5 of the largest), with and without dropout, mnrl and margin_mse`, async () => {
      const folder = withDropout(name);
      const batch = fixtureBatch(folder, name);
      const B = batch.query.batchSize;
      const chunked = await openOnnxEngine(folder, { threads: 1 });
      const parts = await openOnnxEngine(folder, { threads: 1, memoryBudget: 64 * 2 ** 30 });
      try {
        expect(chunked.partRows!([8, 8])).toBe(0); // no budget: chunk by chunk
        expect(parts.partRows!([batch.query.seqLen, batch.positive.seqLen, batch.negatives[0].seqLen])).toBeGreaterThanOrEqual(B);
        for (const loss of [MNRL, MARGIN_MSE]) {
          for (const seed of [undefined, 7]) {
            const a = await lossAndGradients(chunked, loss, batch, { ...modeFor(seed), chunkTokens: 64 });
            for (const rows of [B, Math.ceil(B / 2), Math.ceil(B / 3)]) {
              parts.partRows = () => rows;
              const b = await lossAndGradients(parts, loss, batch, modeFor(seed));
              expect(Math.abs(a.loss - b.loss) / a.loss, `${loss.name} seed ${seed} rows ${rows}`).toBeLessThanOrEqual(1e-5);
              expect(worstRelative(a.grads, b.grads), `${loss.name} seed ${seed} rows ${rows}`).toBeLessThanOrEqual(1e-5);
            }
          }
        }
        // The masks follow the rows: another seed is another loss.
        parts.partRows = () => B;
        const [x, y] = [await lossAndGradients(parts, MNRL, batch, modeFor(7)), await lossAndGradients(parts, MNRL, batch, modeFor(8))];
        if (name !== 'tiny-modernbert') expect(Math.abs(x.loss - y.loss)).toBeGreaterThan(1e-6);
      } finally {
        await chunked.dispose();
        await parts.dispose();
      }
    });
  }

  it('prompts left out of the pooling (include_prompt false): 2 parts give the chunked step\'s loss and gradients', async () => {
    const plain = withDropout('tiny-bert');
    const folder = { ...plain, includePrompt: false };
    const tok = loadTokenizer(folder.dir, folder.maxSeqLength);
    const b = JSON.parse(fs.readFileSync(`${FIX}tiny-bert.expected.json`, 'utf8')).batch;
    const enc = (texts: string[], prompt: string) => ({ ...tok.encodeBatch(texts.map((t) => prompt + t)), promptLength: tok.promptLength(prompt) });
    const batch: LossBatch = { query: enc(b.query, 'query: '), positive: enc(b.positive, 'passage: '), negatives: [enc(b.negative, 'passage: ')] };
    const chunked = await openOnnxEngine(folder, { threads: 1 });
    const parts = await openOnnxEngine(folder, { threads: 1, memoryBudget: 64 * 2 ** 30 });
    try {
      parts.partRows = () => 4;
      const a = await lossAndGradients(chunked, MNRL, batch, { ...modeFor(5), chunkTokens: 64 });
      const c = await lossAndGradients(parts, MNRL, batch, modeFor(5));
      expect(Math.abs(a.loss - c.loss) / a.loss).toBeLessThanOrEqual(1e-5);
      expect(worstRelative(a.grads, c.grads)).toBeLessThanOrEqual(1e-5);
      // The prompt really is out: with it pooled, the loss is another.
      const pooled = await openOnnxEngine({ ...folder, includePrompt: true }, { threads: 1 });
      expect(Math.abs((await lossAndGradients(pooled, MNRL, batch, modeFor(5))).loss - a.loss)).toBeGreaterThan(1e-4);
      await pooled.dispose();
    } finally {
      await chunked.dispose();
      await parts.dispose();
    }
  });

  it('fitChunkBytes recovers r·(αL² + βL + ε) + δL + γ from six probes', () => {
    const truth = (r: number, L: number) => r * (6 * L * L + 40 * L + 128) + 24 * L + 1000;
    const Ls: [number, number, number] = [8, 16, 24];
    const fit = fitChunkBytes(Ls, Ls.map((L) => truth(1, L)), Ls.map((L) => truth(2, L)));
    for (const [r, L] of [[16, 128], [3, 13], [1, 512]]) expect(fit(r, L)).toBeCloseTo(truth(r, L), 6);
  });

  it('rows per part: the most whose predicted bytes fit the budget, 0 when none fit', () => {
    const budget = (bytes: number): PartBudget => ({ budget: bytes, startBytes: 1e8, paramBytes: 1e7, bytes: (r, L) => ({ activations: r * (L * L + 100 * L), other: 10 * r * L }) });
    const need = (p: PartBudget, r: number, Ls: number[]) => Ls.reduce((n, L) => n + 1.5 * p.bytes(r, L).activations + p.bytes(r, L).other, 0) + p.startBytes! + 4 * p.paramBytes + 0.05 * p.budget;
    for (const bytes of [2e8, 5e8, 3e9]) {
      const p = budget(bytes);
      const rows = partRowsWithin(p, [16, 128, 128]);
      expect(rows).toBeGreaterThan(0);
      expect(need(p, rows, [16, 128, 128])).toBeLessThanOrEqual(bytes);
      expect(need(p, rows + 1, [16, 128, 128])).toBeGreaterThan(bytes);
    }
    expect(partRowsWithin(budget(1.47e8), [16, 128, 128])).toBe(0);
  });
});
