// Tiny BEIR folders for the tests, written into a fresh temp dir.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface BeirFiles {
  /** corpus.jsonl lines (objects are JSON-encoded, strings written as they are); undefined: no file. */
  corpus?: (object | string)[];
  queries?: (object | string)[];
  /** split -> qrels rows, written after the header. */
  qrels?: Record<string, [string, string, number | string][]>;
}

const made: string[] = [];

export function writeBeir(files: BeirFiles): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-beir-'));
  made.push(dir);
  const lines = (rows: (object | string)[]) => rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';
  if (files.corpus) fs.writeFileSync(path.join(dir, 'corpus.jsonl'), lines(files.corpus));
  if (files.queries) fs.writeFileSync(path.join(dir, 'queries.jsonl'), lines(files.queries));
  if (files.qrels) {
    fs.mkdirSync(path.join(dir, 'qrels'));
    for (const [split, rows] of Object.entries(files.qrels)) {
      const text = ['query-id\tcorpus-id\tscore', ...rows.map((r) => r.join('\t'))].join('\n') + '\n';
      fs.writeFileSync(path.join(dir, 'qrels', `${split}.tsv`), text);
    }
  }
  return dir;
}

/** Remove every folder writeBeir made (call from afterAll). */
export function removeBeirDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}
