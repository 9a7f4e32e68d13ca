// Writing a model folder in the classic sentence-transformers layout (which sentence-transformers
// 2.x-6.x and transformers.js all read), atomically: everything goes to a temporary sibling folder
// that is renamed into place, so a crash never leaves a half-written model.
import fs from 'node:fs';
import path from 'node:path';
import type { ModelFolder } from './folder.js';
import { DENSETRAIN_TAG, modelCard, readFrontMatter, type ModelCardInfo } from './model-card.js';
import { writeSafetensors, type TensorMap } from './safetensors.js';
import { densetrainVersion } from './versions.js';

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'sentencepiece.bpe.model'];

function writeJson(file: string, value: unknown): void {
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * The card: a new one from `card`; without training or evaluation info, a card densetrain wrote
 * for these same weights is kept (as sentence-transformers keeps a loaded card on a plain save),
 * so an export of a trained folder still says how it was trained.
 */
function writeCard(model: ModelFolder, weights: TensorMap, dir: string, card: ModelCardInfo | undefined): void {
  const source = path.join(model.dir, 'README.md');
  if (!card?.training && !card?.evaluation && weights === model.weights && fs.existsSync(source)) {
    const text = fs.readFileSync(source, 'utf8');
    const tags = readFrontMatter(text)?.tags;
    if (Array.isArray(tags) && tags.includes(DENSETRAIN_TAG)) {
      fs.writeFileSync(path.join(dir, 'README.md'), text);
      return;
    }
  }
  fs.writeFileSync(path.join(dir, 'README.md'), modelCard(model, card));
}

/** Write the folder's files (no atomicity) into `dir`, which must exist; `card` is what training knew, for README.md. */
export function writeModelFiles(model: ModelFolder, weights: TensorMap, dir: string, card?: ModelCardInfo): void {
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
    include_prompt: model.includePrompt,
  });
  if (model.normalize) fs.mkdirSync(path.join(dir, '2_Normalize'), { recursive: true });
  writeJson(path.join(dir, 'config_sentence_transformers.json'), {
    // What really wrote the folder. sentence-transformers reads __version__.sentence_transformers
    // only to warn when it is newer than itself, and skips the check when the key is absent.
    __version__: { densetrain: densetrainVersion() },
    prompts: model.prompts,
    default_prompt_name: model.defaultPromptName,
    similarity_fn_name: 'cosine',
  });
  writeCard(model, weights, dir, card);
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
export function saveModelFolder(model: ModelFolder, outDir: string, weights: TensorMap = model.weights, card?: ModelCardInfo): void {
  writeFolderAtomically(outDir, (tmp) => writeModelFiles(model, weights, tmp, card));
}
