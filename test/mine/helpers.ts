// Shared by the mining tests: the sentence-transformers reference cases (made with
// sentence-transformers 6.0.1, see the note in mining-cases.json) written out as mine's input files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const FIXTURES = path.resolve('test/fixtures/mining');
export const BI_ENCODER = path.join(FIXTURES, 'tiny-bi-trained');
export const CROSS_ENCODER = path.join(FIXTURES, 'tiny-ce-bert');

export interface StCase {
  args: Record<string, number | string | null>;
  rows: Record<string, unknown>[];
}

export interface StCases {
  data: { query: string; answer: string }[];
  corpus: string[];
  cases: Record<string, StCase>;
}

export function stCases(): StCases {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, 'mining-cases.json'), 'utf8')).mining;
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-mine-'));
}

export function writeJsonl(file: string, rows: unknown[]): string {
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r) + '\n').join(''));
  return file;
}

export function readJsonl(file: string): Record<string, unknown>[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** The reference data and corpus as mine reads them: data.jsonl (query, answer), corpus.jsonl ({text}). */
export function writeStInputs(dir: string, cases: StCases): { data: string; corpus: string } {
  return {
    data: writeJsonl(path.join(dir, 'data.jsonl'), cases.data),
    corpus: writeJsonl(path.join(dir, 'corpus.jsonl'), cases.corpus.map((text) => ({ text }))),
  };
}
