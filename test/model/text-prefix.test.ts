// Long texts are tokenized only as far as truncation keeps: the kept ids must equal those of the
// whole text tokenized (the reference: @huggingface/tokenizers on the full text, then the
// sentence-transformers truncation), for ordinary and adversarial texts, on both fixture
// tokenizers (BERT WordPiece, XLM-R Unigram with Metaspace); and a 50 MB line costs a bounded string.
import fs from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { leadingIds, wordBoundaryBefore } from '../../src/model/text-prefix.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;

function fullTokenizer(name: string): Tokenizer {
  const json = JSON.parse(fs.readFileSync(`${FIX}${name}/tokenizer.json`, 'utf8'));
  const cfg = JSON.parse(fs.readFileSync(`${FIX}${name}/tokenizer_config.json`, 'utf8'));
  return new Tokenizer(json, cfg);
}

/** The whole text tokenized, then truncated keeping the closing special token. */
function reference(tok: Tokenizer, text: string, max: number): number[] {
  const ids = tok.encode(text).ids;
  return ids.length <= max ? ids : [...ids.slice(0, max - 1), ids[ids.length - 1]];
}

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['invoice', 'password', 'télécharger', 'herunter', 'stornieren', 'delivery', 'refund', 'a', 'the', 'über', 'cancelar', 'x', 'naïve', '日本語', 'mobile,', 'end.'];
const SEPARATORS = [' ', ' ', ' ', '  ', '   ', '\t', '\n', ' \n ', '\u00a0', '      '];

/**
 * Texts of `words` random words joined by random whitespace; one word in eight is a compound of
 * up to 12 parts (up to 156 characters: WordPiece gives [UNK] past 100), so cutting inside a word
 * would change its tokens.
 */
function randomText(next: () => number, words: number): string {
  let s = '';
  for (let i = 0; i < words; i++) {
    const word = next() < 0.125 ? 'herunterladen'.repeat(1 + Math.floor(next() * 12)) : WORDS[Math.floor(next() * WORDS.length)];
    s += word + SEPARATORS[Math.floor(next() * SEPARATORS.length)];
  }
  return s;
}

const ADVERSARIAL: Record<string, string> = {
  'a long run of spaces at the cut': `${'word '.repeat(30)}${' '.repeat(5000)}${'tail '.repeat(200)}`,
  'spaces only between a few words': `a${' '.repeat(3000)}b${' '.repeat(3000)}c ${'invoice '.repeat(100)}`,
  'one giant word (longer than WordPiece tokenizes)': `${'x'.repeat(5000)} ${'refund '.repeat(200)}`,
  'giant words among ordinary ones': Array.from({ length: 60 }, (_, i) => (i % 3 ? 'refund' : 'y'.repeat(90 + i))).join(' '),
  'CJK without spaces': '日本語の文章には空白がない'.repeat(200),
  'CJK with rare spaces': `${'日本語の文章'.repeat(300)} ${'中文没有空格'.repeat(300)} ${'한국어'.repeat(300)}`,
  'combining marks after spaces': 'e\u0301 '.repeat(3000),
  'leading spaces then words': `${' '.repeat(5000)}${'delivery '.repeat(500)}`,
  'newlines and tabs only': 'invoice\n\tpassword\n'.repeat(500),
};

describe.each([
  ['tiny-bert', [4, 16, 64]],
  ['tiny-xlmr', [4, 16, 40, 128]],
] as const)('%s: kept ids equal those of the whole text', (name, lengths) => {
  const full = fullTokenizer(name);

  it.each(lengths)('random texts, max_seq_length %i', (max) => {
    const tok = loadTokenizer(`${FIX}${name}`, max);
    const next = rng(max);
    for (let i = 0; i < 20; i++) {
      const text = randomText(next, 5 + Math.floor(next() * 800));
      expect(tok.encode(text), `text ${i}`).toEqual(reference(full, text, max));
    }
  });

  it.each(Object.keys(ADVERSARIAL))('%s', (label) => {
    for (const max of lengths) {
      const text = ADVERSARIAL[label];
      expect(loadTokenizer(`${FIX}${name}`, max).encode(text), `max_seq_length ${max}`).toEqual(reference(full, text, max));
    }
  });
});

describe('leadingIds', () => {
  const full = fullTokenizer('tiny-bert');

  it('a 50 MB line: the tokenizer gets a bounded prefix, and the kept ids are those of the whole text', () => {
    const unit = 'invoice password refund delivery ';
    const text = unit.repeat(Math.ceil(50e6 / unit.length));
    let longest = 0;
    const ids = leadingIds((t) => {
      longest = Math.max(longest, t.length);
      return full.encode(t).ids;
    }, text, 64);
    expect(longest).toBeLessThan(10_000);
    expect(ids.length).toBeGreaterThan(64);
    // the same ids as a (small) text of the same pattern tokenized whole
    const small = unit.repeat(200);
    expect(ids.slice(0, 63)).toEqual(full.encode(small).ids.slice(0, 63));
    const tok = loadTokenizer(`${FIX}tiny-bert`, 64);
    expect(tok.encode(text)).toEqual(reference(full, small, 64));
  });

  it('a text shorter than the first prefix is tokenized once, whole', () => {
    const seen: string[] = [];
    const text = 'refund delivery';
    expect(leadingIds((t) => (seen.push(t), full.encode(t).ids), text, 16)).toEqual(full.encode(text).ids);
    expect(seen).toEqual([text]);
  });

  it('a text without spaces is tokenized whole (no safe place to cut)', () => {
    const seen: number[] = [];
    const text = 'z'.repeat(100_000);
    leadingIds((t) => (seen.push(t.length), full.encode(t).ids), text, 16);
    expect(seen).toEqual([100_000]);
  });

  it('wordBoundaryBefore: the start of the last run of spaces at or before the end', () => {
    expect(wordBoundaryBefore('ab   cd ef', 6)).toBe(2);
    expect(wordBoundaryBefore('ab   cd ef', 7)).toBe(7);
    expect(wordBoundaryBefore('abcdef', 5)).toBe(0);
    expect(wordBoundaryBefore('   abc', 5)).toBe(0);
  });
});
