// Reading a model folder: sentence-transformers (classic and 6.x layouts) or a bare Hugging Face
// folder. The result is plain data: config, pooling, weights, max length, prompts.
import fs from 'node:fs';
import path from 'node:path';
import { type EncoderConfig, maxSeqLengthProblem, positionLimit, readConfig, weightShapes } from './config.js';
import { readJsonFile } from './json-file.js';
import { readModelWeights, type TensorMap } from './safetensors.js';

export type PoolingMode = 'mean' | 'cls' | 'max' | 'lasttoken';
export const POOLING_MODES: PoolingMode[] = ['mean', 'cls', 'max', 'lasttoken'];

export interface ModelFolder {
  dir: string;
  config: EncoderConfig;
  pooling: PoolingMode;
  normalize: boolean;
  maxSeqLength: number;
  /** Hugging Face tensor names -> float32 data; pooler weights kept as read. */
  weights: TensorMap;
  /** sentence-transformers prompts (prefixes), e.g. {query: 'query: '}. */
  prompts: Record<string, string>;
  /** The prompt encode applies when given none (config_sentence_transformers.json), or null. */
  defaultPromptName: string | null;
  /** false: the prompt's tokens are left out of the pooling (1_Pooling/config.json include_prompt). */
  includePrompt: boolean;
}

/** Overrides for bare Hugging Face folders, which say nothing about pooling. */
export interface FolderOptions {
  pooling?: PoolingMode;
  normalize?: boolean;
  maxSeqLength?: number;
}

const CLASSIC_POOLING_KEYS: Record<string, PoolingMode> = {
  pooling_mode_cls_token: 'cls',
  pooling_mode_mean_tokens: 'mean',
  pooling_mode_max_tokens: 'max',
  pooling_mode_lasttoken: 'lasttoken',
};
const UNSUPPORTED_CLASSIC_KEYS = ['pooling_mode_mean_sqrt_len_tokens', 'pooling_mode_weightedmean_tokens'];

/** Pooling from `1_Pooling/config.json`: `pooling_mode` (6.x) or `pooling_mode_*_tokens` flags (classic). */
export function parsePooling(cfg: Record<string, any>, file: string): PoolingMode {
  if (typeof cfg.pooling_mode === 'string') {
    const m = cfg.pooling_mode as PoolingMode;
    if (!POOLING_MODES.includes(m)) throw new Error(`${file}: pooling_mode "${m}" is not supported (${POOLING_MODES.join(', ')})`);
    return m;
  }
  for (const k of UNSUPPORTED_CLASSIC_KEYS) {
    if (cfg[k] === true) throw new Error(`${file}: ${k} is not supported (${POOLING_MODES.join(', ')})`);
  }
  const on = Object.keys(CLASSIC_POOLING_KEYS).filter((k) => cfg[k] === true);
  if (on.length !== 1) throw new Error(`${file}: expected exactly one of ${Object.keys(CLASSIC_POOLING_KEYS).join(', ')} to be true`);
  return CLASSIC_POOLING_KEYS[on[0]];
}

/** `include_prompt` of `1_Pooling/config.json` (default true, as sentence-transformers). */
export function parseIncludePrompt(cfg: Record<string, any>, file: string): boolean {
  const v = cfg.include_prompt ?? true;
  if (typeof v !== 'boolean') throw new Error(`${file}: "include_prompt" must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** prompts and default_prompt_name of config_sentence_transformers.json, checked as sentence-transformers checks them on load. */
export function readPromptConfig(file: string): { prompts: Record<string, string>; defaultPromptName: string | null } {
  const cfg = readJsonFile(file);
  const prompts = cfg.prompts ?? {};
  if (typeof prompts !== 'object' || Array.isArray(prompts)) throw new Error(`${file}: "prompts" must be a mapping of prompt names to texts, got ${JSON.stringify(prompts)}`);
  for (const [k, v] of Object.entries(prompts)) if (typeof v !== 'string') throw new Error(`${file}: prompt "${k}" must be a string, got ${JSON.stringify(v)}`);
  const name = cfg.default_prompt_name ?? null;
  if (name !== null && typeof name !== 'string') throw new Error(`${file}: "default_prompt_name" must be a prompt name or null, got ${JSON.stringify(name)}`);
  // sentence-transformers always has (possibly empty) query and document prompts.
  if (name !== null && !(name in prompts) && name !== 'query' && name !== 'document')
    throw new Error(`${file}: default_prompt_name "${name}" is not one of its prompts (${Object.keys(prompts).join(', ') || 'none'})`);
  return { prompts, defaultPromptName: name };
}

/** sentence_bert_config.json, or {} where there is none. */
function readSentenceBertConfig(dir: string): Record<string, any> {
  const file = path.join(dir, 'sentence_bert_config.json');
  if (!fs.existsSync(file)) return {};
  const st = readJsonFile(file);
  // sentence-transformers then lowercases texts before the tokenizer; densetrain does not.
  if (st.do_lower_case === true) throw new Error(`${file}: do_lower_case true is not supported (densetrain passes texts to tokenizer.json unchanged)`);
  return st;
}

/**
 * Read max_seq_length as sentence-transformers does: sentence_bert_config.json, else
 * tokenizer_config.json capped at the position table (as sentence-transformers caps it). A value
 * set explicitly above the position table is an error: the encoder would fail on long texts.
 */
function readMaxSeqLength(dir: string, config: EncoderConfig, stConfig: Record<string, any>): number {
  const limit = positionLimit(config);
  const explicit = stConfig.max_seq_length ?? undefined;
  if (explicit !== undefined) {
    const file = path.join(dir, 'sentence_bert_config.json');
    if (!Number.isInteger(explicit) || explicit < 1) throw new Error(`${file}: "max_seq_length" must be a positive integer, got ${JSON.stringify(explicit)}`);
    const problem = maxSeqLengthProblem(explicit, config, path.join(dir, 'config.json'), file);
    if (problem) throw new Error(problem);
    return explicit;
  }
  const tokCfg = path.join(dir, 'tokenizer_config.json');
  if (fs.existsSync(tokCfg)) {
    const m = readJsonFile(tokCfg).model_max_length;
    if (Number.isInteger(m) && m >= 1) return Math.min(m, limit); // HF writes a huge sentinel when unset
  }
  return limit;
}

/** `source` names the weights file (or shard index) in errors. */
function checkWeights(weights: TensorMap, config: EncoderConfig, source: string): TensorMap {
  // Some checkpoints prefix names with the architecture (bert., roberta., distilbert., mpnet.);
  // sentence-transformers saves them bare. Strip a common prefix so both load.
  const out: TensorMap = new Map();
  for (const [k, v] of weights) out.set(k.replace(/^(bert|roberta|xlm_roberta|distilbert|mpnet|model)\./, ''), v);
  for (const [name, shape] of weightShapes(config)) {
    const t = out.get(name);
    if (!t) throw new Error(`${source}: tensor "${name}" is missing (config.json says ${config.modelType}, ${config.numLayers} layers)`);
    if (t.shape.join() !== shape.join()) {
      throw new Error(`${source}: tensor "${name}" has shape [${t.shape}], config.json implies [${shape}]`);
    }
  }
  return out;
}

/** Everything a model folder says but its weights (cheap: for tokenizing, or the ONNX engine). */
export function describeModelFolder(dir: string, opts: FolderOptions = {}): Omit<ModelFolder, 'weights'> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir}: not a folder`);
  const modulesFile = path.join(dir, 'modules.json');
  let pooling: PoolingMode = opts.pooling ?? 'mean';
  let normalize = opts.normalize ?? false;
  let prompts: Record<string, string> = {};
  let defaultPromptName: string | null = null;
  let includePrompt = true;
  if (fs.existsSync(modulesFile)) {
    const modules = readJsonFile(modulesFile);
    if (!Array.isArray(modules)) throw new Error(`${modulesFile}: must be a list of modules`);
    normalize = false;
    for (const m of modules) {
      const type = String(m.type ?? '');
      const kind = type.split('.').pop();
      if (kind === 'Transformer') {
        if (m.path && m.path !== '' && m.path !== '.') throw new Error(`${modulesFile}: the Transformer module must live at the folder root, found path "${m.path}"`);
      } else if (kind === 'Pooling') {
        const f = path.join(dir, m.path, 'config.json');
        const cfg = readJsonFile(f);
        pooling = parsePooling(cfg, f);
        includePrompt = parseIncludePrompt(cfg, f);
      } else if (kind === 'Normalize') {
        normalize = true;
      } else {
        throw new Error(`${modulesFile}: module type "${type}" is not supported (Transformer, Pooling, Normalize)`);
      }
    }
    const stCfg = path.join(dir, 'config_sentence_transformers.json');
    if (fs.existsSync(stCfg)) ({ prompts, defaultPromptName } = readPromptConfig(stCfg));
    if (opts.pooling) pooling = opts.pooling;
    if (opts.normalize !== undefined) normalize = opts.normalize;
  }
  const config = readConfig(dir);
  if (!fs.existsSync(path.join(dir, 'tokenizer.json'))) {
    throw new Error(`${path.join(dir, 'tokenizer.json')}: missing (densetrain needs the fast-tokenizer file tokenizer.json)`);
  }
  const stConfig = readSentenceBertConfig(dir);
  if (opts.maxSeqLength !== undefined) {
    const problem = maxSeqLengthProblem(opts.maxSeqLength, config, path.join(dir, 'config.json'), 'model.max_seq_length');
    if (problem) throw new Error(problem);
  }
  const maxSeqLength = opts.maxSeqLength ?? readMaxSeqLength(dir, config, stConfig);
  return { dir, config, pooling, normalize, maxSeqLength, prompts, defaultPromptName, includePrompt };
}

export function readModelFolder(dir: string, opts: FolderOptions = {}): ModelFolder {
  const described = describeModelFolder(dir, opts);
  const index = path.join(dir, 'model.safetensors.index.json');
  const source = fs.existsSync(index) ? index : path.join(dir, 'model.safetensors');
  return { ...described, weights: checkWeights(readModelWeights(dir), described.config, source) };
}
