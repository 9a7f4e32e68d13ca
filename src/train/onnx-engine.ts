// The onnxruntime training engine: the encoder's forward and backward are ONNX graphs
// (src/graphs/training/train-step.ts) run by onnxruntime-node on all cores; the weights and their
// gradients are host arrays, fed to the graphs every run.
import * as ort from 'onnxruntime-node';
import { createOnnxTrainState, onnxBackward, onnxEmbed, onnxPartRows, onnxStepPart } from '../graphs/training/train-step.js';
import type { ModelFolder } from '../model/folder.js';
import type { TrainEngine } from './engine.js';
import { formatBytes } from './memory-budget.js';
import { sharedCopy, zerosLike } from './host-optim.js';

export interface OnnxEngineOptions {
  /** onnxruntime execution provider: cpu (default), cuda, dml, coreml. */
  executionProvider?: string;
  /** The GPU of a data-parallel rank (its local rank). */
  deviceId?: number;
  /** onnxruntime intra-op threads; default one per core. */
  threads?: number;
  /** Write onnxruntime's profiles here (benchmarks). */
  profileDir?: string;
  /** train.memory_budget in bytes: micro-batches run in parts of the step graph within it (undefined: chunk by chunk). */
  memoryBudget?: number;
  /** Milliseconds by task, for benchmarks (see OnnxTrainOptions.timings). */
  timings?: Map<string, number>;
}

/** What the first line says of the memory budget. */
function memoryLine(budget: number | undefined): string {
  return budget === undefined
    ? ', no memory budget (each backward pass recomputes its chunk\'s forward)'
    : `, memory budget ${formatBytes(budget)} (micro-batches in as few step-graph parts as fit)`;
}

export async function openOnnxEngine(folder: ModelFolder, opts: OnnxEngineOptions = {}): Promise<TrainEngine> {
  const state = await createOnnxTrainState(folder, opts);
  const engine: TrainEngine = {
    name: 'onnx',
    description: `densetrain: engine onnx, onnxruntime-node ${ort.env.versions.common} ${state.executionProvider} execution provider${opts.deviceId !== undefined && state.executionProvider !== 'cpu' ? ` (device ${opts.deviceId})` : ''}, ${state.threads} threads${memoryLine(opts.memoryBudget)}`,
    hidden: state.hidden,
    embed: (rows, dropout) => onnxEmbed(state, rows, dropout),
    backward: (rows, d, dropout) => onnxBackward(state, rows, d, dropout, engine.grads),
    partRows: (seqLens) => onnxPartRows(state, seqLens),
    stepPart: (cfg, part, dropout, margins) => onnxStepPart(state, cfg, part, dropout, margins, engine.grads),
    weights: sharedCopy(state.weights),
    grads: zerosLike(state.weights),
    // The optimizer's copy is in shared memory (AdamW over threads, host-threads.ts); onnxruntime-node takes no SharedArrayBuffer, so the runs read a plain copy.
    weightsChanged: () => {
      for (const [name, w] of engine.weights) state.weights.get(name)!.data.set(w.data);
    },
    dispose: () => state.release(),
  };
  return engine;
}
