// The onnxruntime training engine: the encoder's forward and backward are ONNX graphs
// (src/graphs/training/train-step.ts) run by onnxruntime-node on all cores; the weights and their
// gradients are host arrays, fed to the graphs every run.
import * as ort from 'onnxruntime-node';
import { calibrateKept, createOnnxTrainState, forgetKept, onnxBackward, onnxEmbed, onnxStep } from '../graphs/training/train-step.js';
import type { ModelFolder } from '../model/folder.js';
import type { TrainEngine } from './engine.js';
import { formatBytes } from './memory-budget.js';
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
  /** train.memory_budget in bytes: activations are kept between passes below it (undefined: never). */
  memoryBudget?: number;
  /** Milliseconds by task, for benchmarks (see OnnxTrainOptions.timings). */
  timings?: Map<string, number>;
}

/** What the first line says of the memory budget. */
function memoryLine(keep: { calibrated: boolean; allowance: number } | undefined, budget: number | undefined): string {
  if (!keep || budget === undefined) return '';
  return keep.calibrated && keep.allowance === 0
    ? `, memory budget ${formatBytes(budget)} (no room to keep activations: every backward pass recomputes its forward)`
    : `, memory budget ${formatBytes(budget)} (activations kept between passes within it from the second optimizer step on)`;
}

export async function openOnnxEngine(folder: ModelFolder, opts: OnnxEngineOptions = {}): Promise<TrainEngine> {
  const state = await createOnnxTrainState(folder, opts);
  const engine: TrainEngine = {
    name: 'onnx',
    description: `densetrain: engine onnx, onnxruntime-node ${ort.env.versions.common} ${state.executionProvider} execution provider${opts.deviceId !== undefined && state.executionProvider !== 'cpu' ? ` (device ${opts.deviceId})` : ''}, ${state.threads} threads${memoryLine(state.keep, opts.memoryBudget)}`,
    hidden: state.hidden,
    embed: (rows, dropout, forBackward) => onnxEmbed(state, rows, dropout, forBackward),
    backward: (rows, d, dropout) => onnxBackward(state, rows, d, dropout, engine.grads),
    wholeStep: process.env.DT_WHOLE ? (cfg, columns, dropout, margins) => onnxStep(state, cfg, columns, dropout, margins, engine.grads) : undefined,
    forget: () => forgetKept(state),
    weights: state.weights,
    grads: zerosLike(state.weights),
    // Weights are fed from the host arrays every run; the first update ends the step that measures what the run needs besides kept activations.
    weightsChanged: () => calibrateKept(state),
    dispose: () => state.release(),
  };
  return engine;
}
