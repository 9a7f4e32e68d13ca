// The onnxruntime training engine: the encoder's forward and backward are ONNX graphs
// (src/engine/onnx) run by onnxruntime-node on all cores; weights, gradients and AdamW's moments
// are host arrays (host-optim.ts), fed to the graphs each step.
import * as ort from 'onnxruntime-node';
import { createOnnxTrainState, onnxEmbed, onnxLossAndGradients, type RowGather } from '../engine/onnx/train-step.js';
import { type LossBatch, type LossConfig, padRows } from '../losses/batch.js';
import { encodeInBatches } from '../model/encode-batches.js';
import { normParameterNames } from '../model/config.js';
import type { ModelFolder } from '../model/folder.js';
import { resolvePrompt, roleChoice } from '../model/prompts.js';
import { mapToEngineLayout } from '../model/model.js';
import type { TensorMap } from '../model/safetensors.js';
import { loadTokenizer } from '../model/tokenizer.js';
import type { TrainEngine } from './engine.js';
import { addGradients, type HostMoments, hostAdamwStep, hostClip, hostGlobalNorm, scaleGradients, zeroMoments } from './host-optim.js';

export interface OnnxEngineOptions {
  /** onnxruntime execution provider: cpu (default), cuda, dml, coreml. */
  executionProvider?: string;
  /** The GPU of a data-parallel rank (its local rank). */
  deviceId?: number;
  /** Write onnxruntime's profiles here (benchmarks). */
  profileDir?: string;
  /** Data-parallel runs with loss.gather_across_devices: the loss sees every rank's rows. */
  gather?: RowGather;
  /** Sum gradients in blocks of this many rows (OnnxTrainOptions.blockRows). */
  blockRows?: number;
}

/** Gathered ranks' columns padded as the global batch pads them: its rows' shapes, and so their dropout masks, are the one process's. */
function padAsGlobalBatch<B extends LossBatch>(batch: B, across: RowGather, padId: number): B {
  const columns = [batch.query, batch.positive, ...batch.negatives];
  const lens = across.seqLens(columns.map((c) => c.seqLen));
  const [query, positive, ...negatives] = columns.map((c, i) => padRows(c, lens[i], padId));
  return { ...batch, query, positive, negatives };
}

export async function openOnnxEngine(folder: ModelFolder, loss: LossConfig, moments?: HostMoments, opts: OnnxEngineOptions = {}): Promise<TrainEngine> {
  const state = await createOnnxTrainState(folder, opts);
  const params = state.weights;
  const opt = moments ? { step: moments.step, m: mapToEngineLayout(moments.m), v: mapToEngineLayout(moments.v) } : zeroMoments(params);
  const tokenizer = loadTokenizer(folder.dir, folder.maxSeqLength);
  let grads: TensorMap | undefined;
  let gradNames: string[] | undefined;
  const normParams = normParameterNames(folder.config);

  return {
    name: 'onnx',
    description: `densetrain: engine onnx, onnxruntime-node ${ort.env.versions.common} ${state.executionProvider} execution provider${opts.deviceId !== undefined && state.executionProvider !== 'cpu' ? ` (device ${opts.deviceId})` : ''}, ${state.threads} threads`,
    async accumulate(batch, stepSeed) {
      const r = await onnxLossAndGradients(state, loss, opts.gather ? padAsGlobalBatch(batch, opts.gather, tokenizer.padId) : batch, stepSeed, opts.gather);
      grads = addGradients(grads, r.grads);
      return r.loss;
    },
    discard: () => (grads = undefined),
    update(micro, lr, maxGradNorm, adam, sumAcross) {
      // A rank the data ran out on before its share adds zeros to the others' sum.
      if (!grads && sumAcross && gradNames) grads = new Map(gradNames.map((n) => [n, { shape: params.get(n)!.shape, data: new Float32Array(params.get(n)!.data.length) }]));
      if (!grads) throw new Error('update: no gradients gathered');
      gradNames ??= [...grads.keys()];
      // Every rank sums the same tensors in the same (the graph's) order.
      if (sumAcross) for (const name of gradNames) sumAcross(grads.get(name)!.data);
      if (micro > 1) scaleGradients(grads, 1 / micro);
      const norm = hostGlobalNorm(grads);
      if (maxGradNorm !== null) hostClip(grads, norm, maxGradNorm);
      hostAdamwStep(params, grads, opt, lr, adam, normParams);
      grads = undefined;
      return norm;
    },
    async encodeAs(role, texts, o = {}) {
      const prompt = resolvePrompt(folder, roleChoice(folder, role, {}), `${folder.dir}/config_sentence_transformers.json`);
      return encodeInBatches(texts, tokenizer, prompt, o.batchSize ?? 32, (rows, promptLength) => onnxEmbed(state, { ...tokenizer.padBatch(rows), promptLength }), o.onProgress);
    },
    weights() {
      const out: TensorMap = new Map(folder.weights);
      for (const [name, t] of mapToEngineLayout(params)) out.set(name, { shape: t.shape, data: Float32Array.from(t.data) });
      return out;
    },
    moments: () => ({ step: opt.step, m: mapToEngineLayout(opt.m), v: mapToEngineLayout(opt.v) }),
    dispose: () => state.release(),
  };
}
