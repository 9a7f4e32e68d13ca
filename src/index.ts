// The library API that the CLI wraps.
export { initBackend, describeBackend, type BackendInfo, type BackendChoice } from './engine/backend.js';
export { loadModel, modelFromFolder, type SentenceModel, type EncodeOptions } from './model/model.js';
export { readModelFolder, type ModelFolder, type PoolingMode, type FolderOptions } from './model/folder.js';
export { saveModelFolder } from './model/save.js';
export { loadTokenizer, type TextTokenizer, type TokenBatch } from './model/tokenizer.js';
export { loadRecipe, type Recipe } from './train/recipe.js';
export { train, type TrainOptions, type TrainResult, type MetricsRow } from './train/trainer.js';
export { resolveEngine, type TrainEngine, type EngineName } from './train/engine.js';
export { openTfjsEngine } from './train/tfjs-engine.js';
export { openOnnxEngine, type OnnxEngineOptions } from './train/onnx-engine.js';
export { openTrainingStream } from './data/stream.js';
export type { Triple, TrainingBatch } from './data/triple.js';
export { readBeir, type BeirSet } from './data/beir.js';
export { evaluateRetrieval } from './eval/evaluate.js';
export { retrievalMetrics } from './eval/metrics.js';
export { writeReport } from './eval/report.js';
export { checkData } from './cli/check-data.js';
export { exportOnnx } from './export/export.js';
