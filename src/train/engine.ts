// A training engine: where the encoder's forward and backward passes run. It embeds token rows and
// backpropagates given gradients of those embeddings into weight gradients; everything else of a
// step is engine-neutral (step.ts: chunking, GradCache, the loss; learner.ts and host-optim.ts:
// accumulation, clipping, AdamW on host arrays). Two exist: onnxruntime (onnx-engine.ts), which
// `auto` means, and tfjs (src/tfjs/tfjs-engine.ts), only when the recipe or --engine asks for it: installing
// tfjs-node must not silently switch a run to another engine (with several times the memory).
import type { StepPart } from '../graphs/training/train-step.js';
import type { LossConfig } from '../losses/batch.js';
import type { Dropout } from '../model/dropout-mask.js';
import type { TensorMap } from '../model/safetensors.js';
import type { TokenBatch } from '../model/tokenizer.js';

export type EngineName = 'tfjs' | 'onnx';
export const ENGINE_CHOICES = ['auto', 'tfjs', 'onnx'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

export interface TrainEngine {
  name: EngineName;
  /** The run's first line: engine, backend or execution provider, threads. */
  description: string;
  /** The embedding width H. */
  hidden: number;
  /** Sentence embeddings [rows, H] of a token batch with the current `weights`; with `dropout`, in training mode. */
  embed(rows: TokenBatch, dropout?: Dropout): Promise<Float32Array>;
  /**
   * Adds d(Σ embed(rows, dropout) ⊙ dEmbeddings)/d(weight) to `grads`, for every weight
   * (`dEmbeddings` [rows, H]). The same `dropout` as the forward pass draws the same masks.
   */
  backward(rows: TokenBatch, dEmbeddings: Float32Array, dropout?: Dropout): Promise<void>;
  /**
   * Rows per part of a micro-batch whose columns have these sequence lengths, for `stepPart` within
   * the memory budget: 0 where the engine has no step graph or not even one row fits (the step then
   * runs chunk by chunk).
   */
  partRows?(seqLens: number[]): number;
  /**
   * The loss and, if it is finite, the weight gradients of a part's rows added to `grads`, in one
   * pass (graphs/training/step-graph.ts); also the part's embeddings.
   */
  stepPart?(cfg: LossConfig, part: StepPart, dropout: (column: number) => Dropout | undefined, teacherMargins?: Float32Array): Promise<{ loss: number; embeddings: Float32Array[] }>;
  /** Trainable weights by Hugging Face name, in-out layout (Linear weights [in, out]); the optimizer updates them in place, then calls `weightsChanged`. */
  weights: TensorMap;
  /**
   * Where `backward` adds the weight gradients, by name and layout as `weights`: the caller zeroes
   * them, and may point them at other buffers of the same shapes (a micro-batch's own sums).
   */
  grads: TensorMap;
  /** The host `weights` were updated: engines keeping their own copy (tfjs) take the new values. */
  weightsChanged(): void;
  dispose(): Promise<void>;
}

/** `auto` -> onnx, whatever tfjs backend is installed; tfjs and onnx as asked. */
export function resolveEngine(choice: string): EngineName {
  if (!(ENGINE_CHOICES as readonly string[]).includes(choice)) throw new Error(`train.engine: "${choice}" is not one of ${ENGINE_CHOICES.join(', ')}`);
  return choice === 'auto' ? 'onnx' : (choice as EngineName);
}
