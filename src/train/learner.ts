// A training engine with the one host optimizer on top: what the trainer drives. It gathers
// micro-batches' gradients (step.ts), averages, clips and takes AdamW steps on the engine's host
// weights (host-optim.ts), and gives the weights and moments in Hugging Face layout for checkpoints,
// the format both engines read, so a run resumes on either.
import { type LossBatch, type LossConfig, padRows } from '../losses/batch.js';
import type { DropoutStep } from '../model/dropout-mask.js';
import { onnxModelFromFolder } from '../graphs/onnx-encoder.js';
import { normParameterNames } from '../model/config.js';
import { encodeInBatches } from '../model/encode-batches.js';
import type { ModelFolder } from '../model/folder.js';
import { mapToInOutLayout } from '../model/in-out-layout.js';
import type { EncodeOptions } from '../model/encode-batches.js';
import { resolvePrompt, roleChoice } from '../model/prompts.js';
import type { TensorMap } from '../model/safetensors.js';
import { loadTokenizer } from '../model/tokenizer.js';
import type { EngineName, TrainEngine } from './engine.js';
import { addGradients, type AdamWConfig, clipCoefficient, type HostMoments, hostAdamwStep, hostGlobalNorm, sharedCopy, zeroMoments, zerosLike } from './host-optim.js';
import { openHostThreads } from './host-threads.js';
import { type OnnxEngineOptions, openOnnxEngine } from './onnx-engine.js';
import { accumulateStep, type RowGather, zeroGradients } from './step.js';

export interface Learner {
  name: EngineName;
  /** The engine's description: the run's first line. */
  description: string;
  /** Loss of one micro-batch in training mode; its gradients add to those gathered since the last update. `step` draws the dropout masks. */
  accumulate(batch: LossBatch, step: DropoutStep): Promise<number>;
  /** Drop the gathered gradients (after a non-finite loss). */
  discard(): void;
  /**
   * Average the gathered gradients over `microBatches`, clip their global norm to `maxGradNorm`
   * (null: no clipping) and take one AdamW step at `lr`. Returns the norm before clipping.
   * `sumAcross` (data-parallel runs) first sums each gradient buffer over the ranks, in place;
   * `microBatches` then counts every rank's.
   */
  update(microBatches: number, lr: number, maxGradNorm: number | null, adam: AdamWConfig, sumAcross?: (grad: Float32Array) => void): number;
  /** Embeddings in eval mode, as sentence-transformers' encode_query / encode_document, on onnxruntime for every engine. */
  encodeAs(role: 'query' | 'document', texts: string[], opts?: EncodeOptions): Promise<Float32Array[]>;
  /** Every weight of the folder (untrained ones such as the pooler included), Hugging Face layout. */
  weights(): TensorMap;
  /** AdamW's moments, Hugging Face layout. */
  moments(): HostMoments;
  dispose(): Promise<void>;
}

export interface LearnerOptions extends OnnxEngineOptions {
  engine: EngineName;
  loss: LossConfig;
  /** AdamW's moments from a checkpoint (Hugging Face layout). */
  moments?: HostMoments;
  /** Data-parallel runs with loss.gather_across_devices: the loss sees every rank's rows. */
  gather?: RowGather;
  /** Tokens per engine run (step.ts). */
  chunkTokens?: number;
  /** Rows per gradient block (step.ts). */
  blockRows?: number;
}

/** Gathered ranks' columns padded as the global batch pads them: its rows' shapes, and so their dropout masks, are the one process's. */
function padAsGlobalBatch(batch: LossBatch, across: RowGather, padId: number): LossBatch {
  const columns = [batch.query, batch.positive, ...batch.negatives];
  const lens = across.seqLens(columns.map((c) => c.seqLen));
  const [query, positive, ...negatives] = columns.map((c, i) => padRows(c, lens[i], padId));
  return { ...batch, query, positive, negatives };
}

export async function openLearner(folder: ModelFolder, opts: LearnerOptions): Promise<Learner> {
  // tfjs is loaded only when a run asks for it.
  const engine = opts.engine === 'tfjs' ? await (await import('../tfjs/tfjs-engine.js')).openTfjsEngine(folder) : await openOnnxEngine(folder, opts);
  return learnerOn(engine, folder, opts);
}

/** The host optimizer over an open engine. */
export function learnerOn(engine: TrainEngine, folder: ModelFolder, opts: Omit<LearnerOptions, 'engine'>): Learner {
  // The step's gradients; from the second micro-batch on, each one's own sums go to `micro` first and
  // are then added, so accumulation sums whole micro-batches, as one process per micro-batch would.
  const params = engine.weights, grads = engine.grads;
  let micro: TensorMap | undefined;
  const opt = opts.moments ? { step: opts.moments.step, m: sharedCopy(mapToInOutLayout(opts.moments.m)), v: sharedCopy(mapToInOutLayout(opts.moments.v)) } : zeroMoments(params);
  // AdamW over every core, where the engine's arrays are shared (the onnx engine's).
  const threads = openHostThreads([...params].map(([name, p]) => ({ w: p.data, g: grads.get(name)?.data ?? p.data, m: opt.m.get(name)!.data, v: opt.v.get(name)!.data })));
  const tokenizer = loadTokenizer(folder.dir, folder.maxSeqLength);
  const normParams = normParameterNames(folder.config);
  let gathered = 0;
  const weights = (): TensorMap => {
    const out: TensorMap = new Map(folder.weights);
    for (const [name, t] of mapToInOutLayout(params)) out.set(name, { shape: t.shape, data: Float32Array.from(t.data) });
    return out;
  };

  return {
    name: engine.name,
    description: engine.description,
    async accumulate(batch, step) {
      if (gathered > 0) {
        micro ??= zerosLike(grads);
        zeroGradients(micro);
        engine.grads = micro;
      }
      try {
        const rows = opts.gather ? padAsGlobalBatch(batch, opts.gather, tokenizer.padId) : batch;
        const loss = await accumulateStep(engine, opts.loss, rows, { mode: 'train', step, gather: opts.gather, chunkTokens: opts.chunkTokens, blockRows: opts.blockRows });
        if (gathered > 0) addGradients(grads, micro!);
        return loss;
      } finally {
        engine.grads = grads;
        gathered++;
      }
    },
    discard() {
      zeroGradients(grads);
      gathered = 0;
    },
    update(microBatches, lr, maxGradNorm, adam, sumAcross) {
      // A rank the data ran out on before its share adds its zeros to the others' sum.
      if (gathered === 0 && !sumAcross) throw new Error('update: no gradients gathered');
      // Every rank sums the same tensors in the same (the engine's) order.
      if (sumAcross) for (const g of grads.values()) sumAcross(g.data);
      // Averaged over micro-batches and clipped as AdamW reads them, which also zeroes them for the next step.
      const average = microBatches > 1 ? 1 / microBatches : 1;
      const norm = hostGlobalNorm(grads, average);
      const clip = maxGradNorm === null ? 1 : clipCoefficient(norm, maxGradNorm);
      hostAdamwStep(params, grads, opt, lr, adam, normParams, { average, clip }, threads);
      engine.weightsChanged();
      gathered = 0;
      return norm;
    },
    async encodeAs(role, texts, o = {}) {
      if (engine.name !== 'onnx') {
        // Evaluation runs on onnxruntime whatever the training engine: the graph of the current weights.
        const encoder = await onnxModelFromFolder({ ...folder, weights: weights() });
        try {
          return await encoder.encodeAs(role, texts, o);
        } finally {
          await encoder.release();
        }
      }
      const prompt = resolvePrompt(folder, roleChoice(folder, role, o), `${folder.dir}/config_sentence_transformers.json`);
      return encodeInBatches(texts, tokenizer, prompt, o.batchSize ?? 32, (rows, promptLength) => engine.embed({ ...tokenizer.padBatch(rows), promptLength }), o.onProgress);
    },
    weights,
    moments: () => ({ step: opt.step, m: mapToInOutLayout(opt.m), v: mapToInOutLayout(opt.v) }),
    dispose: async () => {
      await threads?.dispose();
      await engine.dispose();
    },
  };
}
