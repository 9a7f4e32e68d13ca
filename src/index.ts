// The library API that the CLI wraps. Entry points that compute with TensorFlow.js initialise it
// themselves (the backend of DENSETRAIN_BACKEND, else auto; call initBackend first to choose
// another), and no TensorFlow.js type appears here: a model is texts in, Float32Arrays out.
import { initBackend } from './tfjs/backend.js';
import { exportOnnx as exportOnnxFolder, type ExportOptions, type ExportResult } from './export/export.js';
import type { FolderOptions, ModelFolder } from './model/folder.js';
import type { EncodeOptions } from './model/encode-batches.js';
import { loadModel as loadTfjsModel, modelFromFolder as tfjsModelFromFolder } from './tfjs/model.js';
import type { TensorMap } from './model/safetensors.js';
import type { TextTokenizer } from './model/tokenizer.js';
import { loadRecipe, type Recipe, type RecipeInput, resolveRecipe } from './train/recipe.js';
import { resolveEngine } from './train/engine.js';
import { train as trainRecipe, type TrainOptions, type TrainResult } from './train/trainer.js';

export { initBackend, describeBackend, type BackendInfo, type BackendChoice } from './tfjs/backend.js';
export { loadOnnxModel, type OnnxEncoder, type OnnxEncodeOptions } from './graphs/onnx-encoder.js';
export type { EncodeOptions } from './model/encode-batches.js';
export { readModelFolder, type ModelFolder, type PoolingMode, type FolderOptions } from './model/folder.js';
export { resolveModel } from './model/hub.js';
export { saveModelFolder } from './model/save.js';
export { loadTokenizer, type TextTokenizer, type TokenBatch } from './model/tokenizer.js';
export { loadRecipe, resolveRecipe, type Recipe, type RecipeInput } from './train/recipe.js';
export type { TrainOptions, TrainResult, MetricsRow } from './train/trainer.js';
export { resolveEngine, type TrainEngine, type EngineName } from './train/engine.js';
export { openTfjsEngine } from './tfjs/tfjs-engine.js';
export { openOnnxEngine, type OnnxEngineOptions } from './train/onnx-engine.js';
export { openLearner, learnerOn, type Learner, type LearnerOptions } from './train/learner.js';
export { accumulateStep, lossAndGradients, type RowGather, type StepOptions } from './train/step.js';
export { openTrainingStream } from './data/stream.js';
export type { Triple, TrainingBatch } from './data/triple.js';
export { readBeir, type BeirSet } from './data/beir.js';
export { evaluateRetrieval, type EmbedFn, type EvalOptions } from './eval/evaluate.js';
export { retrievalMetrics } from './eval/metrics.js';
export { writeReport } from './eval/report.js';
export { checkData } from './cli/check-data.js';
export type { ExportOptions, ExportResult } from './export/export.js';

/** A sentence encoder on TensorFlow.js: sentence-transformers' `encode` for a model folder. */
export interface SentenceModel {
  folder: ModelFolder;
  tokenizer: TextTokenizer;
  /** Embeddings of texts, as sentence-transformers' encode returns them. */
  encode(texts: string[], opts?: EncodeOptions): Promise<Float32Array[]>;
  /** As sentence-transformers' encode_query / encode_document: the folder's prompt of that role, if it has one. */
  encodeAs(role: 'query' | 'document', texts: string[], opts?: EncodeOptions): Promise<Float32Array[]>;
  /** Current weights in Hugging Face layout. */
  hostWeights(): TensorMap;
  /** Write a model folder (sentence-transformers layout). */
  save(dir: string): void;
  /** Free the weights. */
  dispose(): void;
}

/** A model folder on TensorFlow.js (initialised if it was not). For the faster onnxruntime encoder of an exported folder, see loadOnnxModel. */
export async function loadModel(dir: string, opts: FolderOptions = {}): Promise<SentenceModel> {
  await initBackend();
  return loadTfjsModel(dir, opts);
}

/** As loadModel, from a folder already read with readModelFolder. */
export async function modelFromFolder(folder: ModelFolder): Promise<SentenceModel> {
  await initBackend();
  return tfjsModelFromFolder(folder);
}

/** Train with a recipe: a file (YAML or JSON), or an object with the same keys (defaults fill the rest). */
export async function train(recipe: string | RecipeInput | Recipe, opts: TrainOptions = {}): Promise<TrainResult> {
  const resolved = typeof recipe === 'string' ? loadRecipe(recipe) : resolveRecipe(recipe);
  if (resolveEngine(resolved.train.engine) === 'tfjs') await initBackend();
  return trainRecipe(resolved, opts);
}

/** Export a model folder to ONNX, checked against the TensorFlow.js encoder (initialised if it was not). */
export async function exportOnnx(modelDir: string, outDir: string, opts: ExportOptions = {}): Promise<ExportResult> {
  await initBackend();
  return exportOnnxFolder(modelDir, outDir, opts);
}
