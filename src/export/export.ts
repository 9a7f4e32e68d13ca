// `densetrain export`: a model folder -> the same folder plus onnx/model.onnx, checked against the
// tfjs encoder before it is put in place. The whole export is built and checked in a staging
// folder beside the output, then moved in (see output-folder.ts: only a new, empty or earlier
// export's folder is written without `overwrite`, and nothing the export does not write is
// touched), so a failure at any step leaves nothing that looks like an export.
import fs from 'node:fs';
import path from 'node:path';
import { openOnnxEncoder } from '../graphs/onnx-encoder.js';
import { TFJS_ARCHITECTURES } from '../model/config.js';
import { type ModelFolder, readModelFolder } from '../model/folder.js';
import { writeModelFiles } from '../model/save.js';
import { loadTokenizer } from '../model/tokenizer.js';
import { buildEncoderGraph } from '../graphs/encoder-graph.js';
import { DEFAULT_OPSET, SUPPORTED_OPSETS, type WriteOptions, writeOnnxModel } from '../onnx/onnx-file.js';
import { checkExportTarget, exportEntries, landExport } from './output-folder.js';
import { maxDiffVsInMemoryGraph, maxDiffVsTfjs, SAMPLE_TEXTS } from './parity.js';
import { int8Linear } from './quantize.js';

export interface ExportOptions {
  opset?: number;
  /** Also write onnx/model_int8.onnx (transformers.js dtype 'int8'), dynamically quantised. */
  quantize?: 'int8';
  /** Where tensors move to external data (tests use a small value). */
  write?: WriteOptions;
  /**
   * Write into a folder that is not new, empty or an earlier export of this model. Only the
   * entries an export writes are replaced; other files in the folder stay.
   */
  overwrite?: boolean;
}

export interface ExportResult {
  onnxPath: string;
  /** Largest difference of the written file from `checkedAgainst` on the sample texts. */
  maxAbsDiff: number;
  /** tfjs: the tfjs encoder (BERT, XLM-R); graph: the in-memory graph the file was written from (the other architectures). */
  checkedAgainst: 'tfjs' | 'graph';
  /** The int8 model and its cost vs float32 on the sample texts' sentence embeddings. */
  int8?: { onnxPath: string; maxAbsDiff: number; minCosine: number };
}

export const PARITY_TOLERANCE = 1e-4;
export { DEFAULT_OPSET };

/** A staging folder beside `outDir` (same file system, so the final renames are atomic). */
function makeStaging(outDir: string): string {
  const parent = path.dirname(path.resolve(outDir));
  try {
    fs.mkdirSync(parent, { recursive: true });
    const dir = fs.mkdtempSync(path.join(parent, `.${path.basename(outDir)}.export-`));
    fs.chmodSync(dir, 0o755); // it may become the output folder; mkdtemp makes it owner-only
    fs.mkdirSync(path.join(dir, 'onnx'));
    return dir;
  } catch (e) {
    throw new Error(`${outDir}: cannot write the output folder here (${(e as Error).message})`);
  }
}

/** Cosine and abs difference of the int8 model's sentence embeddings against float32's. */
async function int8Cost(folder: ModelFolder, floatPath: string, int8Path: string): Promise<{ maxAbsDiff: number; minCosine: number }> {
  const tokenizer = loadTokenizer(folder.dir, folder.maxSeqLength);
  const [f, q] = await Promise.all([floatPath, int8Path].map((p) => openOnnxEncoder(p, tokenizer, folder, folder.dir)));
  try {
    const [a, b] = [await f.encode(SAMPLE_TEXTS), await q.encode(SAMPLE_TEXTS)];
    let maxAbsDiff = 0, minCosine = 1;
    a.forEach((x, i) => {
      let dot = 0, nx = 0, ny = 0;
      x.forEach((v, j) => {
        const w = b[i][j];
        maxAbsDiff = Math.max(maxAbsDiff, Math.abs(v - w));
        dot += v * w;
        nx += v * v;
        ny += w * w;
      });
      minCosine = Math.min(minCosine, dot / Math.sqrt(nx * ny || 1));
    });
    return { maxAbsDiff, minCosine };
  } finally {
    await Promise.all([f.release(), q.release()]);
  }
}

/**
 * Files next to the weights that transformers.js reads: the tokenizer's max length set to the
 * model's max_seq_length (so it truncates as sentence-transformers does), and which ONNX files
 * have external data.
 */
function patchForTransformersJs(dir: string, folder: ModelFolder, externalChunks: Record<string, number>): void {
  const tokCfgFile = path.join(dir, 'tokenizer_config.json');
  const tokCfg = fs.existsSync(tokCfgFile) ? JSON.parse(fs.readFileSync(tokCfgFile, 'utf8')) : {};
  fs.writeFileSync(tokCfgFile, JSON.stringify({ ...tokCfg, model_max_length: folder.maxSeqLength }, null, 2) + '\n');
  if (Object.keys(externalChunks).length === 0) return;
  const cfgFile = path.join(dir, 'config.json');
  const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));
  cfg['transformers.js_config'] = { ...cfg['transformers.js_config'], use_external_data_format: externalChunks };
  fs.writeFileSync(cfgFile, JSON.stringify(cfg, null, 2) + '\n');
}

export async function exportOnnx(modelDir: string, outDir: string, opts: ExportOptions = {}): Promise<ExportResult> {
  const opset = opts.opset ?? DEFAULT_OPSET;
  if (!SUPPORTED_OPSETS.includes(opset)) throw new Error(`--opset ${opset} is not supported (choose one of ${SUPPORTED_OPSETS.join(', ')})`);
  const folder = readModelFolder(modelDir);
  checkExportTarget(outDir, modelDir, opts.overwrite ?? false);
  const staging = makeStaging(outDir);
  try {
    const floatPath = path.join(staging, 'onnx', 'model.onnx');
    const externalChunks: Record<string, number> = {};
    const written = writeOnnxModel(buildEncoderGraph(folder, { opset, promptLength: false }), floatPath, opts.write);
    if (written.externalChunks) externalChunks['model.onnx'] = written.externalChunks;
    // The tfjs encoder is an independent second implementation where it exists (BERT, XLM-R); the
    // other architectures' files are checked against the graph they were written from (the graph
    // itself is held against sentence-transformers by the tests).
    const vsTfjs = TFJS_ARCHITECTURES.includes(folder.config.modelType);
    const maxAbsDiff = vsTfjs ? await maxDiffVsTfjs(folder, floatPath) : await maxDiffVsInMemoryGraph(folder, floatPath);
    if (!(maxAbsDiff <= PARITY_TOLERANCE)) {
      const reference = vsTfjs ? 'the tfjs encoder' : 'the in-memory graph it was written from';
      throw new Error(`${modelDir}: the exported ONNX model differs from ${reference} by up to ${maxAbsDiff.toExponential(2)} (tolerance ${PARITY_TOLERANCE}); nothing was written to ${outDir}`);
    }
    let int8: ExportResult['int8'];
    if (opts.quantize === 'int8') {
      const int8Path = path.join(staging, 'onnx', 'model_int8.onnx');
      const q = writeOnnxModel(buildEncoderGraph(folder, { opset, linear: int8Linear, promptLength: false }), int8Path, opts.write);
      if (q.externalChunks) externalChunks['model_int8.onnx'] = q.externalChunks;
      int8 = { onnxPath: path.join(outDir, 'onnx', 'model_int8.onnx'), ...(await int8Cost(folder, floatPath, int8Path)) };
    }
    writeModelFiles(folder, folder.weights, staging);
    patchForTransformersJs(staging, folder, externalChunks);
    // --output equal to --model adds onnx/ (and the transformers.js keys) to the model folder and
    // leaves its weights and other files as they are.
    landExport(staging, outDir, exportEntries(staging, outDir, modelDir), modelDir);
    return { onnxPath: path.join(outDir, 'onnx', 'model.onnx'), maxAbsDiff, checkedAgainst: vsTfjs ? 'tfjs' : 'graph', int8 };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
