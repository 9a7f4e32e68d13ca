// A training engine: where the encoder's forward and backward passes run. It embeds token rows and
// backpropagates given gradients of those embeddings into weight gradients; everything else of a
// step is engine-neutral (step.ts: chunking, GradCache, the loss; learner.ts and host-optim.ts:
// accumulation, clipping, AdamW on host arrays). Two exist: onnxruntime (onnx-engine.ts), which
// `auto` means, and tfjs (src/tfjs/tfjs-engine.ts), only when the recipe or --engine asks for it: installing
// tfjs-node must not silently switch a run to another engine (with several times the memory).
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
  /**
   * Sentence embeddings [rows, H] of a token batch with the current `weights`; with `dropout`, in
   * training mode. `forBackward`: backward(rows) follows, and the engine may keep what it needs
   * from this pass (the same `rows` object identifies them) instead of recomputing it.
   */
  embed(rows: TokenBatch, dropout?: Dropout, forBackward?: boolean): Promise<Float32Array>;
  /**
   * Adds d(Σ embed(rows, dropout) ⊙ dEmbeddings)/d(weight) to `grads`, for every weight
   * (`dEmbeddings` [rows, H]). The same `dropout` as the forward pass draws the same masks.
   */
  backward(rows: TokenBatch, dEmbeddings: Float32Array, dropout?: Dropout): Promise<void>;
  /**
   * The whole micro-batch at once, when the engine can and its activations fit the memory budget:
   * the loss of `columns` (query, positive, negatives), whose weight gradients, if it is finite,
   * are added to `grads`. Undefined when it did not run: the step then goes chunk by chunk.
   */
  wholeStep?(cfg: LossConfig, columns: TokenBatch[], dropout: (column: number) => Dropout | undefined, teacherMargins?: Float32Array): Promise<number | undefined>;
  /** Drop whatever embed kept for backward passes that did not run (a step that ended early). */
  forget(): void;
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
