// Which files of a Hub model repository a densetrain model needs: the config, the safetensors
// weights (one file, or the shards an index names), the tokenizer files and the
// sentence-transformers files. Not README, and never the .bin/.onnx/.h5/.msgpack/.ot copies of
// the same weights.

/** Read first: they decide what else is needed. */
export const METADATA_FILES = ['config.json', 'modules.json', 'model.safetensors.index.json'];

const ROOT_FILES = [
  'config.json',
  // sentence-transformers
  'modules.json', 'sentence_bert_config.json', 'config_sentence_transformers.json',
  // tokenizers of every family (WordPiece, BPE, SentencePiece)
  'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json',
  'vocab.txt', 'vocab.json', 'merges.txt', 'sentencepiece.bpe.model', 'spiece.model', 'tokenizer.model',
];

/** Other formats of the weights, and what no model loads. */
const NEVER = /(\.(bin|onnx|onnx_data|h5|msgpack|ot|pt|pth|ckpt|gguf|tflite|mlmodel|pb)|^README\.md|\.gitattributes)$/i;

export interface ModuleEntry {
  type?: unknown;
  path?: unknown;
}

/** The folder of a sentence-transformers module ('' for the root): `./1_Pooling/` -> `1_Pooling`. */
export const moduleDir = (m: ModuleEntry): string => (typeof m.path === 'string' ? m.path.replace(/^(\.\/)+/, '').replace(/\/+$/, '') : '');

/**
 * The files to fetch from `siblings` (the repository's file list), given the parsed modules.json
 * and safetensors index where the repository has them. Throws when there are no safetensors.
 */
export function neededFiles(repo: string, siblings: string[], modules: ModuleEntry[] | undefined, index: { weight_map?: Record<string, string> } | undefined): string[] {
  const has = new Set(siblings);
  const out = new Set(ROOT_FILES.filter((f) => has.has(f)));
  for (const f of weightFiles(repo, siblings, index)) out.add(f);
  if (has.has('model.safetensors.index.json')) out.add('model.safetensors.index.json');
  // sentence-transformers modules in subfolders (1_Pooling/config.json, 2_Dense/...).
  for (const m of modules ?? []) {
    const dir = moduleDir(m);
    if (dir === '' || dir === '.') continue;
    for (const f of siblings) if (f.startsWith(`${dir}/`) && !NEVER.test(f)) out.add(f);
  }
  return [...out];
}

function weightFiles(repo: string, siblings: string[], index: { weight_map?: Record<string, string> } | undefined): string[] {
  if (index) {
    const shards = [...new Set(Object.values(index.weight_map ?? {}))];
    const missing = shards.filter((s) => !siblings.includes(s));
    if (shards.length === 0) throw new Error(`${repo}: model.safetensors.index.json names no weight files (its "weight_map" is empty)`);
    if (missing.length > 0) throw new Error(`${repo}: model.safetensors.index.json names ${missing.join(', ')}, which the repository does not have`);
    return shards;
  }
  if (siblings.includes('model.safetensors')) return ['model.safetensors'];
  throw new Error(noSafetensors(repo, siblings));
}

/** The one-line error for a repository without safetensors weights, with the ways to convert. */
function noSafetensors(repo: string, siblings: string[]): string {
  const other = siblings.filter((f) => !f.includes('/') && /\.(bin|h5|msgpack|ot|onnx)$/.test(f));
  return (
    `${repo}: no model.safetensors in the repository${other.length ? ` (it has ${other.join(', ')})` : ''}; densetrain reads safetensors weights only. ` +
    `Convert it with the Hub's "Convert to Safetensors" Space (https://huggingface.co/spaces/safetensors/convert), which opens a pull request you can then use as ${repo}@refs/pr/N, ` +
    `or locally: ${siblings.includes('modules.json')
      ? `python -c "from sentence_transformers import SentenceTransformer; SentenceTransformer('${repo}').save('DIR', safe_serialization=True)"`
      : `python -c "from transformers import AutoModel, AutoTokenizer as T; AutoModel.from_pretrained('${repo}').save_pretrained('DIR', safe_serialization=True); T.from_pretrained('${repo}').save_pretrained('DIR')"`} and pass --model DIR`
  );
}
