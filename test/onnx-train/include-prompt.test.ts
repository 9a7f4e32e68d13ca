// A training step with prompts on a folder whose pooling leaves them out (include_prompt false):
// the onnx engine's loss and gradients equal the tfjs engine's (a second encoder: the mask built on
// the host, differentiated by tfjs) and central finite differences of its own loss; the
// loss differs from the same folder with include_prompt true, so the prompt tokens really are out.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tfjs/backend.js';
import type { LossBatch, LossConfig } from '../../src/losses/batch.js';
import { type ModelFolder, readModelFolder } from '../../src/model/folder.js';
import { expectFiniteDifferences } from '../helpers/finite-differences.js';
import { loadTokenizer, type TokenBatch } from '../../src/model/tokenizer.js';
import { loadOnnxModel, onnxModelFromFolder } from '../../src/graphs/onnx-encoder.js';
import type { TrainEngine } from '../../src/train/engine.js';
import { ADAMW_DEFAULTS } from '../../src/train/host-optim.js';
import { learnerOn } from '../../src/train/learner.js';
import { openOnnxEngine } from '../../src/train/onnx-engine.js';
import { lossAndGradients } from '../../src/train/step.js';
import { openTfjsEngine } from '../../src/tfjs/tfjs-engine.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const MNRL: LossConfig = { name: 'mnrl', scale: 20, symmetric: false, mini_batch_size: 32 };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'include-prompt-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let excluding: ModelFolder, including: ModelFolder, model: TrainEngine, batch: LossBatch;
beforeAll(async () => {
  await initBackend('wasm');
  const dir = path.join(tmp, 'tiny-bert');
  fs.cpSync(`${FIX}tiny-bert`, dir, { recursive: true });
  fs.writeFileSync(`${dir}/1_Pooling/config.json`, JSON.stringify({ embedding_dimension: 32, pooling_mode: 'mean', include_prompt: false }));
  fs.writeFileSync(`${dir}/config_sentence_transformers.json`, JSON.stringify({ prompts: { query: 'query: ', document: 'passage: ' } }));
  excluding = readModelFolder(dir);
  including = { ...excluding, includePrompt: true };
  model = await openTfjsEngine(excluding);
  const tok = loadTokenizer(dir, excluding.maxSeqLength);
  const b = JSON.parse(fs.readFileSync(`${FIX}tiny-bert.expected.json`, 'utf8')).batch;
  // As the tokenize workers do for data.prompts: the prompt before each text, its length on the batch.
  const enc = (texts: string[], prompt: string): TokenBatch => ({ ...tok.encodeBatch(texts.map((t) => prompt + t)), promptLength: tok.promptLength(prompt) });
  batch = { query: enc(b.query, 'query: '), positive: enc(b.positive, 'passage: '), negatives: [enc(b.negative, 'passage: ')], teacherMargins: Float32Array.from(b.teacher_margin) };
});

describe('include_prompt false in a training step (tiny-bert, prompts on every column)', () => {
  let state: TrainEngine;
  beforeAll(async () => (state = await openOnnxEngine(excluding)));
  afterAll(() => state.dispose());

  it('onnx loss and gradients equal the tfjs engine (1e-4 relative) and differ from include_prompt true', async () => {
    const want = await lossAndGradients(model, MNRL, batch, { mode: 'eval' });
    const got = await lossAndGradients(state, MNRL, batch, { mode: 'eval' });
    expect(Math.abs(got.loss - want.loss) / want.loss).toBeLessThan(1e-4);
    for (const [name, g] of got.grads) {
      const r = want.grads.get(name)!.data;
      let num = 0, den = 0;
      r.forEach((v, i) => ((num += (g.data[i] - v) ** 2), (den += v * v)));
      if (den > 1e-12) expect(Math.sqrt(num / den), name).toBeLessThan(1e-4);
    }
    const all = await openOnnxEngine(including);
    const pooledAll = await lossAndGradients(all, MNRL, batch, { mode: 'eval' });
    await all.dispose();
    expect(Math.abs(pooledAll.loss - got.loss)).toBeGreaterThan(1e-3);
  });

  it('gradients equal central finite differences of the loss', async () => {
    state.weightsChanged(); // after an earlier check's last perturbation
    const { grads } = await lossAndGradients(state, MNRL, batch, { mode: 'eval' });
    const loss = async () => {
      state.weightsChanged(); // the engine runs a copy of its weights (the optimizer's are in shared memory)
      return (await lossAndGradients(state, MNRL, batch, { mode: 'eval' })).loss;
    };
    const { largest } = await expectFiniteDifferences(state.weights, grads, loss, ['embeddings.word_embeddings.weight', 'encoder.layer.1.intermediate.dense.weight', 'encoder.layer.1.output.LayerNorm.bias'], (order) => [order[0], order[1]]);
    expect(largest).toBeGreaterThan(1e-2);
  });
});

describe("a run's evaluation encodes with the folder's query / document prompts, leaving them out of the pooling", () => {
  it('both training engines give what the ONNX encoder of the folder gives (1e-5)', async () => {
    const texts = ['What is the capital of France?', '', 'Berlin is in Germany.'];
    const ref = await loadOnnxModel(excluding.dir);
    for (const engine of [learnerOn(await openOnnxEngine(excluding), excluding, { loss: MNRL }), learnerOn(await openTfjsEngine(excluding), excluding, { loss: MNRL })]) {
      for (const role of ['query', 'document'] as const) {
        const got = await engine.encodeAs(role, texts);
        const want = await ref.encodeAs(role, texts);
        const diff = Math.max(...got.flatMap((r, i) => Array.from(r, (v, j) => Math.abs(v - want[i][j]))));
        expect(diff, `${engine.name} ${role}`).toBeLessThan(1e-5);
      }
      await engine.dispose();
    }
    // the prompt is really there: without it the query embeddings differ
    const plain = await ref.encode(texts, { prompt: '' });
    const query = await ref.encodeAs('query', texts);
    expect(Math.max(...query.flatMap((r, i) => Array.from(r, (v, j) => Math.abs(v - plain[i][j]))))).toBeGreaterThan(1e-3);
    await ref.release();
  });
});

describe('a tfjs run evaluates on onnxruntime', () => {
  it('after a step, the learner\'s embeddings are those of the ONNX graph of its current weights, bit for bit', async () => {
    const texts = ['What is the capital of France?', 'Berlin is in Germany.'];
    const learner = learnerOn(await openTfjsEngine(excluding), excluding, { loss: MNRL });
    await learner.accumulate(batch, { seed: 0, step: 0, micro: 0 });
    learner.update(1, 1e-2, null, ADAMW_DEFAULTS);
    const got = await learner.encodeAs('query', texts);
    const graph = await onnxModelFromFolder({ ...excluding, weights: learner.weights() });
    const want = await graph.encodeAs('query', texts);
    await graph.release();
    expect(got).toEqual(want);
    // The step moved the weights: the folder's own embeddings differ.
    const base = await onnxModelFromFolder(excluding);
    const before = await base.encodeAs('query', texts);
    await base.release();
    expect(Math.max(...got.flatMap((r, i) => Array.from(r, (v, j) => Math.abs(v - before[i][j]))))).toBeGreaterThan(1e-4);
    await learner.dispose();
  });
});
