// Writing a model folder in the classic sentence-transformers layout (which sentence-transformers
// 2.x-6.x and transformers.js all read), atomically: everything goes to a temporary sibling folder
// that is renamed into place, so a crash never leaves a half-written model.
import fs from 'node:fs';
import path from 'node:path';
import type { ModelFolder } from './folder.js';
import { writeSafetensors, type TensorMap } from './safetensors.js';

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'sentencepiece.bpe.model'];

function writeJson(file: string, value: unknown): void {
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

/** Write the folder's files (no atomicity) into `dir`, which must exist. */
export function writeModelFiles(model: ModelFolder, weights: TensorMap, dir: string): void {
  writeJson(path.join(dir, 'config.json'), model.config.raw);
  writeSafetensors(path.join(dir, 'model.safetensors'), weights);
  for (const f of TOKENIZER_FILES) {
    const src = path.join(model.dir, f);
    if (fs.existsSync(src)) fs.copyFileSync(src, path.join(dir, f));
  }
  const modules = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
  ];
  if (model.normalize) modules.push({ idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' });
  writeJson(path.join(dir, 'modules.json'), modules);
  writeJson(path.join(dir, 'sentence_bert_config.json'), { max_seq_length: model.maxSeqLength, do_lower_case: false });
  fs.mkdirSync(path.join(dir, '1_Pooling'), { recursive: true });
  writeJson(path.join(dir, '1_Pooling', 'config.json'), {
    word_embedding_dimension: model.config.hiddenSize,
    pooling_mode_cls_token: model.pooling === 'cls',
    pooling_mode_mean_tokens: model.pooling === 'mean',
    pooling_mode_max_tokens: model.pooling === 'max',
    pooling_mode_mean_sqrt_len_tokens: false,
    pooling_mode_weightedmean_tokens: false,
    pooling_mode_lasttoken: model.pooling === 'lasttoken',
    include_prompt: true,
  });
  if (model.normalize) fs.mkdirSync(path.join(dir, '2_Normalize'), { recursive: true });
  writeJson(path.join(dir, 'config_sentence_transformers.json'), {
    __version__: { sentence_transformers: '3.0.0', densetrain: '0.1.0' },
    prompts: model.prompts,
    default_prompt_name: null,
    similarity_fn_name: 'cosine',
  });
}

/** Atomically replace `outDir` with a model folder built by `fill(tmpDir)`. */
export function writeFolderAtomically(outDir: string, fill: (tmpDir: string) => void): void {
  const parent = path.dirname(path.resolve(outDir));
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(outDir)}.tmp-`));
  fs.chmodSync(tmp, 0o755); // mkdtemp makes it private; a model folder is an ordinary folder
  try {
    fill(tmp);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  if (fs.existsSync(outDir)) {
    const old = `${tmp}.old`;
    fs.renameSync(outDir, old);
    fs.renameSync(tmp, outDir);
    fs.rmSync(old, { recursive: true, force: true });
  } else {
    fs.renameSync(tmp, outDir);
  }
}

/** Save a model folder (with possibly updated weights) in the classic layout, atomically. */
export function saveModelFolder(model: ModelFolder, outDir: string, weights: TensorMap = model.weights): void {
  writeFolderAtomically(outDir, (tmp) => writeModelFiles(model, weights, tmp));
}
