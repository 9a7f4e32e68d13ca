// The onnxruntime training engine: the encoder's forward and backward are ONNX graphs
// (src/graphs/training/train-step.ts) run by onnxruntime-node on all cores; the weights and their
// gradients are host arrays, fed to the graphs every run.
import * as ort from 'onnxruntime-node';
import { createOnnxTrainState, onnxBackward, onnxEmbed } from '../graphs/training/train-step.js';
import type { ModelFolder } from '../model/folder.js';
import type { TrainEngine } from './engine.js';
import { zerosLike } from './host-optim.js';

export interface OnnxEngineOptions {
  /** onnxruntime execution provider: cpu (default), cuda, dml, coreml. */
  executionProvider?: string;
  /** The GPU of a data-parallel rank (its local rank). */
  deviceId?: number;
  /** onnxruntime intra-op threads; default one per core. */
  threads?: number;
  /** Write onnxruntime's profiles here (benchmarks). */
  profileDir?: string;
}

export async function openOnnxEngine(folder: ModelFolder, opts: OnnxEngineOptions = {}): Promise<TrainEngine> {
  const state = await createOnnxTrainState(folder, opts);
  const engine: TrainEngine = {
    name: 'onnx',
    description: `densetrain: engine onnx, onnxruntime-node ${ort.env.versions.common} ${state.executionProvider} execution provider${opts.deviceId !== undefined && state.executionProvider !== 'cpu' ? ` (device ${opts.deviceId})` : ''}, ${state.threads} threads`,
    hidden: state.hidden,
    embed: (rows, dropout) => onnxEmbed(state, rows, dropout),
    backward: (rows, d, dropout) => onnxBackward(state, rows, d, dropout, engine.grads),
    weights: state.weights,
    grads: zerosLike(state.weights),
    weightsChanged: () => {}, // fed from the host arrays every run
    dispose: () => state.release(),
  };
  return engine;
}
