// Text -> token ids, through @huggingface/tokenizers (the tokenizer of transformers.js), from the
// model folder's tokenizer.json + tokenizer_config.json. Truncation and padding follow
// sentence-transformers: truncate to max_seq_length (special tokens included), pad to the
// longest text of the batch. Loading checks that the tokenizer and max_seq_length fit the model's
// embedding tables, so a mismatch is an error naming both files rather than an index fault later.
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { type EncoderConfig, maxSeqLengthProblem, readConfig } from './config.js';
import { readJsonFile } from './json-file.js';
import { leadingIds } from './text-prefix.js';

/** A padded batch, row-major [batchSize, seqLen]. */
export interface TokenBatch {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  batchSize: number;
  seqLen: number;
  /**
   * Tokens of a prompt every row starts with (its special start token included), left out of the
   * pooling when the folder's include_prompt is false; absent or 0 without a prompt.
   */
  promptLength?: number;
}

export interface TextTokenizer {
  /** Token ids of one text, special tokens included, truncated to maxSeqLength. */
  encode(text: string): number[];
  /** Encode, truncate and pad a batch of texts. */
  encodeBatch(texts: string[]): TokenBatch;
  /** Pad rows of token ids (from `encode`) into a batch. */
  padBatch(rows: number[][]): TokenBatch;
  /** sentence-transformers' prompt length: the prompt's ids alone, less a closing special token. */
  promptLength(prompt: string): number;
  readonly padId: number;
  readonly maxSeqLength: number;
}

/** The highest token id tokenizer.json can produce: its model's vocabulary and its added tokens. */
export function highestTokenId(tokJson: Record<string, any>): number {
  const vocab = tokJson.model?.vocab;
  // WordPiece, BPE and WordLevel map token -> id; Unigram lists [piece, score] by id.
  const ids: number[] = Array.isArray(vocab) ? [vocab.length - 1] : Object.values(vocab ?? {}).filter((v): v is number => typeof v === 'number');
  for (const t of tokJson.added_tokens ?? []) if (typeof t?.id === 'number') ids.push(t.id);
  return ids.reduce((a, b) => Math.max(a, b), -1);
}

/** Fail where the tokenizer's ids or max_seq_length exceed the model's embedding tables. */
function checkFitsModel(dir: string, tokJson: Record<string, any>, config: EncoderConfig, maxSeqLength: number): void {
  const tokFile = path.join(dir, 'tokenizer.json');
  const cfgFile = path.join(dir, 'config.json');
  const top = highestTokenId(tokJson);
  if (top >= config.vocabSize) {
    throw new Error(
      `${tokFile}: token ids go up to ${top} (${top + 1} tokens with added tokens), but ${cfgFile} has vocab_size ${config.vocabSize} ` +
        `(word embedding rows 0..${config.vocabSize - 1}); the tokenizer does not belong to this model`,
    );
  }
  const problem = maxSeqLengthProblem(maxSeqLength, config, cfgFile, dir);
  if (problem) throw new Error(problem);
}

/**
 * tokenizer.json with its BertNormalizer set from tokenizer_config.json, as transformers' BERT
 * tokenizer does on load: do_lower_case, strip_accents and tokenize_chinese_chars there win over
 * the file's normalizer (a file saying strip_accents false under a config saying null strips
 * accents in transformers, so in sentence-transformers' CrossEncoder). Only keys the config has.
 */
export function withConfigNormalizer(tokJson: any, tokCfg: Record<string, any>): any {
  const norm = tokJson.normalizer;
  if (norm?.type !== 'BertNormalizer' || !/^Bert(Tokenizer)(Fast)?$/.test(String(tokCfg.tokenizer_class ?? ''))) return tokJson;
  const patched = { ...norm };
  if ('do_lower_case' in tokCfg) patched.lowercase = tokCfg.do_lower_case;
  if ('strip_accents' in tokCfg) patched.strip_accents = tokCfg.strip_accents;
  if ('tokenize_chinese_chars' in tokCfg) patched.handle_chinese_chars = tokCfg.tokenize_chinese_chars;
  return { ...tokJson, normalizer: patched };
}

export function loadTokenizer(dir: string, maxSeqLength: number): TextTokenizer {
  const tokJson = readJsonFile(path.join(dir, 'tokenizer.json'), 'a model folder needs a tokenizer.json from Hugging Face tokenizers');
  checkFitsModel(dir, tokJson, readConfig(dir), maxSeqLength);
  const cfgFile = path.join(dir, 'tokenizer_config.json');
  const tokCfg = fs.existsSync(cfgFile) ? readJsonFile(cfgFile) : {};
  const tok = new Tokenizer(withConfigNormalizer(tokJson, tokCfg), tokCfg);
  const padToken: string | undefined =
    typeof tokCfg.pad_token === 'string' ? tokCfg.pad_token : tokCfg.pad_token?.content;
  const padId = (padToken !== undefined ? tok.token_to_id(padToken) : undefined) ?? tokJson.padding?.pad_id ?? 0;

  const encode = (text: string): number[] => {
    // only the prefix truncation keeps is tokenized: a huge text costs bounded memory
    const ids = leadingIds((t) => tok.encode(t).ids, text, maxSeqLength);
    if (ids.length <= maxSeqLength) return ids;
    // Keep the closing special token ([SEP], </s>) as the Rust tokenizer's truncation does for
    // single-sequence templates: first maxSeqLength - 1 ids, then the last one.
    return [...ids.slice(0, maxSeqLength - 1), ids[ids.length - 1]];
  };

  const padBatch = (rows: number[][]): TokenBatch => {
    const seqLen = Math.max(1, ...rows.map((r) => r.length));
    const n = rows.length;
    const inputIds = new Int32Array(n * seqLen).fill(padId);
    const attentionMask = new Int32Array(n * seqLen);
    rows.forEach((r, i) => {
      inputIds.set(r, i * seqLen);
      attentionMask.fill(1, i * seqLen, i * seqLen + r.length);
    });
    return { inputIds, attentionMask, tokenTypeIds: new Int32Array(n * seqLen), batchSize: n, seqLen };
  };

  const encodeBatch = (texts: string[]): TokenBatch => padBatch(texts.map(encode));

  // tokenizer.all_special_ids in transformers: the added tokens marked special.
  const specialIds = new Set<number>((tokJson.added_tokens ?? []).filter((t: any) => t?.special === true).map((t: any) => t.id));
  const promptLength = (prompt: string): number => {
    const ids = encode(prompt);
    return ids.length > 0 && specialIds.has(ids[ids.length - 1]) ? ids.length - 1 : ids.length;
  };

  return { encode, encodeBatch, padBatch, promptLength, padId, maxSeqLength };
}
