// The tfjs training engine, for users of @tensorflow/tfjs-node(-gpu): the tfjs encoder
// (src/model/model.ts) as tfjs variables on the current backend, gradients by tf.variableGrads.
// The weights' host copy is the optimizer's (host-optim.ts); the variables take it after each update.
import * as tf from '@tensorflow/tfjs';
import { describeBackend, initBackend } from '../engine/backend.js';
import type { ModelFolder } from '../model/folder.js';
import { modelFromFolder } from '../model/model.js';
import type { TensorMap } from '../model/safetensors.js';
import type { TrainEngine } from './engine.js';
import { zerosLike } from './host-optim.js';

export async function openTfjsEngine(folder: ModelFolder): Promise<TrainEngine> {
  const backend = await initBackend();
  const model = modelFromFolder(folder);
  const H = folder.config.hiddenSize;
  const weights: TensorMap = new Map([...model.params].map(([n, v]) => [n, { shape: v.shape, data: Float32Array.from(v.dataSync() as Float32Array) }]));
  const vars = [...model.params.values()];
  const byVarName = new Map([...model.params].map(([n, v]) => [v.name, n]));

  const engine: TrainEngine = {
    name: 'tfjs',
    description: `densetrain: engine tfjs, ${describeBackend(backend).replace(/^densetrain: /, '')}`,
    hidden: H,
    async embed(rows, dropout) {
      const e = model.embed(rows, dropout);
      const data = (await e.data()) as Float32Array;
      e.dispose();
      return data;
    },
    async backward(rows, dEmbeddings, dropout) {
      const d = tf.tensor2d(dEmbeddings, [rows.batchSize, H]);
      const { value, grads: g } = tf.variableGrads(() => tf.sum(tf.mul(model.embed(rows, dropout), d)) as tf.Scalar, vars);
      value.dispose();
      d.dispose();
      for (const [varName, t] of Object.entries(g)) {
        const acc = engine.grads.get(byVarName.get(varName)!)!.data, add = t.dataSync() as Float32Array;
        for (let i = 0; i < acc.length; i++) acc[i] += add[i];
        t.dispose();
      }
    },
    weights,
    grads: zerosLike(weights),
    weightsChanged() {
      for (const [name, v] of model.params) tf.tidy(() => v.assign(tf.tensor(weights.get(name)!.data, v.shape, 'float32')));
    },
    async dispose() {
      model.dispose();
    },
  };
  return engine;
}
