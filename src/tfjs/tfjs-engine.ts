// The tfjs training engine, for users of @tensorflow/tfjs-node(-gpu): the tfjs encoder (model.ts)
// as tfjs variables on the current backend, gradients by tf.variableGrads. It implements
// src/train/engine.ts's TrainEngine (train opens it; tfjs sits below train, so the interface is
// checked there, structurally). The weights' host copy is the optimizer's; the variables take it
// after each update. BERT and XLM-RoBERTa only: other architectures need the onnx engine.
import * as tf from '@tensorflow/tfjs';
import { describeBackend, initBackend } from './backend.js';
import type { ModelFolder } from '../model/folder.js';
import { modelFromFolder } from './model.js';
import type { Dropout } from '../model/dropout-mask.js';
import type { TensorMap } from '../model/safetensors.js';
import type { TokenBatch } from '../model/tokenizer.js';

export interface TfjsEngine {
  name: 'tfjs';
  description: string;
  hidden: number;
  embed(rows: TokenBatch, dropout?: Dropout): Promise<Float32Array>;
  backward(rows: TokenBatch, dEmbeddings: Float32Array, dropout?: Dropout): Promise<void>;
  weights: TensorMap;
  grads: TensorMap;
  weightsChanged(): void;
  dispose(): Promise<void>;
}

const zerosLike = (m: TensorMap): TensorMap => new Map([...m].map(([n, t]) => [n, { shape: t.shape, data: new Float32Array(t.data.length) }]));

export async function openTfjsEngine(folder: ModelFolder): Promise<TfjsEngine> {
  const backend = await initBackend();
  const model = modelFromFolder(folder);
  const H = folder.config.hiddenSize;
  const weights: TensorMap = new Map([...model.params].map(([n, v]) => [n, { shape: v.shape, data: Float32Array.from(v.dataSync() as Float32Array) }]));
  const vars = [...model.params.values()];
  const byVarName = new Map([...model.params].map(([n, v]) => [v.name, n]));

  const engine: TfjsEngine = {
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
