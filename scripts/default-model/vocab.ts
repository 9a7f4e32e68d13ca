// A WordPiece vocabulary from a corpus: the special tokens, every word of the corpus (most
// frequent first), then single characters and their "##" continuations so that any word of
// Latin-script text can still be split into known pieces instead of becoming [UNK].
import { Tokenizer } from '@huggingface/tokenizers';
import { SPECIAL_TOKENS, tokenizerJson } from './tokenizer-files.js';

/** Printable ASCII, so that digits, letters and punctuation never become [UNK]. */
const ASCII = Array.from({ length: 0x7e - 0x20 }, (_, i) => String.fromCharCode(0x21 + i));

export function buildVocab(texts: Iterable<string>): string[] {
  // Words exactly as the written tokenizer.json splits text: its own normalizer and pre-tokenizer.
  const { normalizer, pre_tokenizer: preTokenizer } = new Tokenizer(tokenizerJson(SPECIAL_TOKENS), {});
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const word of preTokenizer!.pre_tokenize(normalizer!.normalize(text))) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  // Ties broken by code point order (not localeCompare, which depends on the ICU build).
  const words = [...counts].sort(([a, m], [b, n]) => n - m || (a < b ? -1 : a > b ? 1 : 0)).map(([w]) => w);
  const chars = [...new Set([...ASCII, ...[...counts.keys()].flatMap((w) => [...w])])].sort();
  // Punctuation is always split off as a word of its own, so it never continues a word.
  const continuations = chars.filter((c) => /[\p{L}\p{N}]/u.test(c)).map((c) => `##${c}`);
  return [...new Set([...SPECIAL_TOKENS, ...words, ...chars, ...continuations])];
}
