// Tokenizing only the part of a long text that truncation keeps. A 50 MB text would otherwise be
// tokenized whole (gigabytes of token objects) to keep max_seq_length ids. The cut is made where
// it cannot change the kept tokens: just before a run of spaces (a word boundary for every
// pre-tokenizer densetrain reads: BERT's, Metaspace, byte-level BPE), and the prefix must yield
// a margin of tokens past the ones kept, so whatever the cut does to the last word lies beyond them.

/** Tokens a prefix must yield beyond maxSeqLength before its ids are trusted. */
const MARGIN = 8;
/** First prefix length, in characters per kept token (most tokens are shorter than this). */
const CHARS_PER_TOKEN = 8;

/**
 * The ids `encodeIds(text)` starts with, at least `maxSeqLength + MARGIN` of them (or all of them
 * for a text shorter than that), tokenizing a prefix that doubles until it holds enough tokens.
 * Texts without a space to cut at are tokenized whole.
 */
export function leadingIds(encodeIds: (text: string) => number[], text: string, maxSeqLength: number): number[] {
  for (let budget = (maxSeqLength + MARGIN) * CHARS_PER_TOKEN; budget < text.length; budget *= 2) {
    const cut = wordBoundaryBefore(text, budget);
    if (cut <= 0) continue;
    const ids = encodeIds(text.slice(0, cut));
    if (ids.length > maxSeqLength + MARGIN) return ids;
  }
  return encodeIds(text);
}

/** The start of the last run of spaces at or before `end`, or 0 where there is none. */
export function wordBoundaryBefore(text: string, end: number): number {
  let i = text.lastIndexOf(' ', end);
  if (i < 0) return 0;
  while (i > 0 && text.charCodeAt(i - 1) === 32) i--;
  return i;
}
