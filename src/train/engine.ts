// A training engine: where the encoder's forward and backward passes run and where the weights and
// optimizer moments live. The trainer (trainer.ts) says what happens in order; an engine does the
// arithmetic. Two exist: onnxruntime (onnx-engine.ts), which `auto` means, and tfjs (tfjs-engine.ts),
// only when the recipe or --engine asks for it: installing tfjs-node must not silently switch a run
// to another engine (with several times the memory).
import type { LossBatch } from '../losses/batch.js';
import type { EncodeOptions } from '../model/model.js';
import type { TensorMap } from '../model/safetensors.js';
import type { AdamWConfig } from './adamw.js';
import type { HostMoments } from './host-optim.js';

export type EngineName = 'tfjs' | 'onnx';
export const ENGINE_CHOICES = ['auto', 'tfjs', 'onnx'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

export interface TrainEngine {
  name: EngineName;
  /** The run's first line: engine, backend or execution provider, threads. */
  description: string;
  /** Loss of one micro-batch; its gradients add to those gathered since the last update. `stepSeed` draws the dropout masks. */
  accumulate(batch: LossBatch, stepSeed: number): Promise<number>;
  /** Drop the gathered gradients (after a non-finite loss). */
  discard(): void;
  /**
   * Average the gathered gradients over `microBatches`, clip their global norm to `maxGradNorm`
   * (null: no clipping) and take one AdamW step at `lr`. Returns the norm before clipping.
   * `sumAcross` (data-parallel runs) first sums each gradient buffer over the ranks, in place;
   * `microBatches` then counts every rank's.
   */
  update(microBatches: number, lr: number, maxGradNorm: number | null, adam: AdamWConfig, sumAcross?: (grad: Float32Array) => void): number;
  /** Embeddings in eval mode, as sentence-transformers' encode_query / encode_document. */
  encodeAs(role: 'query' | 'document', texts: string[], opts?: EncodeOptions): Promise<Float32Array[]>;
  /** Every weight of the folder (untrained ones such as the pooler included), Hugging Face layout. */
  weights(): TensorMap;
  /** AdamW's moments, Hugging Face layout (the checkpoint format both engines read). */
  moments(): HostMoments;
  dispose(): Promise<void>;
}

/** `auto` -> onnx, whatever tfjs backend is installed; tfjs and onnx as asked. */
export function resolveEngine(choice: string): EngineName {
  if (!(ENGINE_CHOICES as readonly string[]).includes(choice)) throw new Error(`train.engine: "${choice}" is not one of ${ENGINE_CHOICES.join(', ')}`);
  return choice === 'auto' ? 'onnx' : (choice as EngineName);
}
