// Activations kept between a chunk's forward and backward passes (kept-activations.ts): the same
// loss and gradients as recomputing them, within the budget's allowance, and the bytes a chunk keeps
// predicted exactly from six probe runs.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { modeFor } from '../helpers/step-mode.js';
import { createOnnxTrainState, onnxBackward, onnxEmbed } from '../../src/graphs/training/train-step.js';
import { fitChunkBytes } from '../../src/graphs/training/kept-activations.js';
import type { LossBatch, LossConfig } from '../../src/losses/batch.js';
import { type ModelFolder, readModelFolder } from '../../src/model/folder.js';
import type { TensorMap } from '../../src/model/safetensors.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';
import { parseMemoryBudget } from '../../src/train/memory-budget.js';
import { openOnnxEngine } from '../../src/train/onnx-engine.js';
import { lossAndGradients } from '../../src/train/step.js';
import { zerosLike } from '../../src/train/host-optim.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const MNRL: LossConfig = { name: 'mnrl', scale: 20, symmetric: false, mini_batch_size: 32 };
const BIG = 64 * 2 ** 30;

/** tiny-bert with dropout 0.1 (the fixture's rates are 0), so the masks run through both graphs. */
function withDropout(name: string): ModelFolder {
  const folder = readModelFolder(`${FIX}${name}`);
  return { ...folder, config: { ...folder.config, hiddenDropout: 0.1, attentionDropout: 0.1 } };
}

function fixtureBatch(folder: ModelFolder, fixture: string): LossBatch {
  const b = JSON.parse(fs.readFileSync(`${FIX}${fixture}.expected.json`, 'utf8')).batch;
  const tok = loadTokenizer(folder.dir, folder.maxSeqLength);
  return { query: tok.encodeBatch(b.query), positive: tok.encodeBatch(b.positive), negatives: [tok.encodeBatch(b.negative)] };
}

/** Largest |a - b| over all gradients, relative to the largest |a| (float32 rounding of two kernel fusions). */
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

describe('kept activations', () => {
  it('fitChunkBytes recovers r·(αL² + βL + ε) + δL + γ from six probes', () => {
    const truth = (r: number, L: number) => r * (6 * L * L + 40 * L + 128) + 24 * L + 1000;
    const Ls: [number, number, number] = [8, 16, 24];
    const fit = fitChunkBytes(Ls, Ls.map((L) => truth(1, L)), Ls.map((L) => truth(2, L)));
    for (const [r, L] of [[16, 128], [3, 13], [1, 512]]) expect(fit(r, L)).toBeCloseTo(truth(r, L), 6);
  });

  for (const name of ['tiny-bert', 'tiny-xlmr', 'tiny-modernbert']) {
    it(`${name}: a step with every chunk kept gives the recomputing step's loss and gradients (<= 1e-5 of the largest)`, async () => {
      const folder = name === 'tiny-modernbert' ? readModelFolder(`${FIX}${name}`) : withDropout(name);
      const batch = fixtureBatch(folder, name);
      const recompute = await openOnnxEngine(folder, { threads: 1 });
      const keep = await openOnnxEngine(folder, { threads: 1, memoryBudget: BIG });
      try {
        expect(keep.description).toMatch(/activations kept between passes within it from the second optimizer step on/);
        keep.weightsChanged(); // the first optimizer step's end: the allowance is set from here on
        for (const seed of [undefined, 7]) {
          const a = await lossAndGradients(recompute, MNRL, batch, { ...modeFor(seed), chunkTokens: 64 });
          const b = await lossAndGradients(keep, MNRL, batch, { ...modeFor(seed), chunkTokens: 64 });
          expect(Math.abs(a.loss - b.loss) / a.loss).toBeLessThanOrEqual(1e-6);
          expect(worstRelative(a.grads, b.grads)).toBeLessThanOrEqual(1e-5);
        }
      } finally {
        await recompute.dispose();
        await keep.dispose();
      }
    });
  }

  it('a chunk keeps exactly the predicted bytes; chunks are kept while they fit the allowance, the rest recompute; backward frees them', async () => {
    const folder = withDropout('tiny-bert');
    const s = await createOnnxTrainState(folder, { threads: 1, memoryBudget: BIG });
    try {
      const keep = s.keep!;
      const tok = loadTokenizer(folder.dir, folder.maxSeqLength);
      const rows = [tok.encodeBatch(['one two three', 'a longer text of some more words here', 'x']), tok.encodeBatch(['four five six seven', 'eight'])];
      const d = (c: number) => ({ step: { seed: 3, step: 0, micro: 0 }, column: c });
      // Room for the first chunk only.
      keep.allowance = keep.bytes(rows[0].batchSize, rows[0].seqLen);
      await onnxEmbed(s, rows[0], d(0), true);
      expect(keep.heldBytes).toBe(keep.bytes(rows[0].batchSize, rows[0].seqLen));
      await onnxEmbed(s, rows[1], d(1), true);
      expect(keep.held.has(rows[1])).toBe(false); // did not fit: its backward recomputes
      expect(keep.held.size).toBe(1);
      // The kept chunk's backward equals the recomputing backward of the same rows.
      const H = folder.config.hiddenSize;
      const dEmb = Float32Array.from({ length: rows[0].batchSize * H }, (_, i) => Math.cos(i));
      const kept = zerosLike(s.weights), recomputed = zerosLike(s.weights);
      await onnxBackward(s, rows[0], dEmb, d(0), kept);
      expect(keep.heldBytes).toBe(0);
      await onnxBackward(s, rows[0], dEmb, d(0), recomputed);
      expect(worstRelative(recomputed, kept)).toBeLessThanOrEqual(1e-5);
    } finally {
      await s.release();
    }
  });

  it('a budget below what the run holds keeps nothing, and says so on the first line', async () => {
    const engine = await openOnnxEngine(readModelFolder(`${FIX}tiny-bert`), { threads: 1, memoryBudget: 1e6 });
    try {
      expect(engine.description).toMatch(/memory budget 1 MB \(no room to keep activations/);
    } finally {
      await engine.dispose();
    }
  });

  it('train.memory_budget reads bytes and units, and names the key and value when it cannot', () => {
    expect(parseMemoryBudget('auto')).toBe('auto');
    expect(parseMemoryBudget('none')).toBe('none');
    expect(parseMemoryBudget('6GB')).toBe(6e9);
    expect(parseMemoryBudget('1.5 GiB')).toBe(1.5 * 2 ** 30);
    expect(parseMemoryBudget('512MiB')).toBe(512 * 2 ** 20);
    expect(parseMemoryBudget('123456')).toBe(123456);
    expect(() => parseMemoryBudget('lots', 'r.yaml')).toThrow('r.yaml: train.memory_budget "lots" is not a size');
    expect(() => parseMemoryBudget('0GB')).toThrow(/is not a size/);
  });
});
