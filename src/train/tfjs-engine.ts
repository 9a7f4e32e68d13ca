// The tfjs training engine: weights are tfjs variables on the current backend (tfjs-node-gpu,
// tfjs-node, wasm or cpu); gradients by tf.variableGrads (gradients.ts), AdamW in tfjs ops (adamw.ts).
import * as tf from '@tensorflow/tfjs';
import { describeBackend, initBackend } from '../engine/backend.js';
import type { LossConfig } from '../losses/batch.js';
import { normParameterNames } from '../model/config.js';
import type { ModelFolder } from '../model/folder.js';
import { mapToEngineLayout, modelFromFolder } from '../model/model.js';
import type { TensorMap } from '../model/safetensors.js';
import { adamwStep, type AdamWState, disposeAdamW, initAdamW } from './adamw.js';
import { clipGradients, globalNorm } from './clip.js';
import type { TrainEngine } from './engine.js';
import { lossAndGradients } from './gradients.js';
import type { HostMoments } from './host-optim.js';

export async function openTfjsEngine(folder: ModelFolder, loss: LossConfig, moments?: HostMoments): Promise<TrainEngine> {
  const backend = await initBackend();
  const model = modelFromFolder(folder);
  const toTensors = (m: TensorMap) => new Map([...mapToEngineLayout(m)].map(([n, t]) => [n, tf.tensor(t.data, t.shape, 'float32')]));
  const opt: AdamWState = moments ? { step: moments.step, m: toTensors(moments.m), v: toTensors(moments.v) } : initAdamW(model.params);
  let grads: Map<string, tf.Tensor> | undefined;
  const normParams = normParameterNames(folder.config);

  const discard = () => {
    grads?.forEach((g) => g.dispose());
    grads = undefined;
  };
  const download = (m: Map<string, tf.Tensor>): TensorMap =>
    mapToEngineLayout(new Map([...m].map(([n, t]) => [n, { shape: t.shape, data: t.dataSync() as Float32Array }])));

  return {
    name: 'tfjs',
    description: `densetrain: engine tfjs, ${describeBackend(backend).replace(/^densetrain: /, '')}`,
    async accumulate(batch, stepSeed) {
      const r = lossAndGradients(model, loss, batch, stepSeed);
      grads = accumulate(grads, r.grads);
      return r.loss;
    },
    discard,
    update(micro, lr, maxGradNorm, adam) {
      if (!grads) throw new Error('update: no gradients gathered');
      if (micro > 1) scaleInPlace(grads, 1 / micro);
      const norm = globalNorm(grads);
      if (maxGradNorm !== null) clipGradients(grads, norm, maxGradNorm);
      adamwStep(model.params, grads, opt, lr, adam, normParams);
      discard();
      return norm;
    },
    encodeAs: (role, texts, opts) => model.encodeAs(role, texts, opts),
    weights: () => model.hostWeights(),
    moments: () => ({ step: opt.step, m: download(opt.m), v: download(opt.v) }),
    async dispose() {
      discard();
      disposeAdamW(opt);
      model.dispose();
    },
  };
}

function accumulate(acc: Map<string, tf.Tensor> | undefined, g: Map<string, tf.Tensor>): Map<string, tf.Tensor> {
  if (!acc) return g;
  for (const [k, v] of g) {
    const prev = acc.get(k)!;
    acc.set(k, tf.add(prev, v));
    prev.dispose();
    v.dispose();
  }
  return acc;
}

function scaleInPlace(grads: Map<string, tf.Tensor>, factor: number): void {
  for (const [k, g] of grads) {
    grads.set(k, tf.mul(g, factor));
    g.dispose();
  }
}
