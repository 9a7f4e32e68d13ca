// Writes the embedded demo data set (data/demo): train.jsonl, a held-out BEIR folder (eval/) and a
// README with the counts. Deterministic: the same seed gives the same bytes; no network.
// Run: npx tsx scripts/make-demo-data.ts
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeFolderAtomically } from '../src/model/save.js';
import { DEMO_SIZES, generateDemoData, type DemoData } from './demo-data/generate.js';
import { LANGUAGES } from './demo-data/lexicon.js';

export const DEMO_SEED = 20240607;
export const DEMO_DATA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'data', 'demo');

const jsonl = (rows: unknown[]): string => rows.map((r) => JSON.stringify(r) + '\n').join('');

function readme(d: DemoData): string {
  const perLang = (n: number): string => `${n} (${n / LANGUAGES.length} per language)`;
  return `# Demo data

Synthetic multilingual (${LANGUAGES.join(', ')}) customer-service FAQ retrieval data for \`npm start\`,
written by \`npx tsx scripts/make-demo-data.ts\` (seed ${DEMO_SEED}, no network; running it again
gives the same bytes, which \`test/demo/demo-data.test.ts\` checks).

Every answer is about one (action, object) pair, such as (cancel, order). Answers use one canonical
word for each action and object; questions use it or one of two synonyms ("call off my purchase",
"Bestellung stornieren", "annuler ma commande"), so retrieval needs learned synonymy, not just
word overlap.

## train.jsonl: ${d.train.length} records

Grouped hard-negative layout, one query per line:
\`{"query", "positive", "positive_score", "language", "negatives": [{"document", "cross_encoder_score"}, ...]}\`.
${DEMO_SIZES.queriesPerTrainAnswer} questions for each training pair and language, each with ${DEMO_SIZES.negatives} negatives: answers
about the same object (other action) and the same action (other object), the object's information page,
and unrelated pages. Scores imitate a cross-encoder in [0, 1]: positives 0.85-0.99, same object
0.30-0.65, same action 0.15-0.45, information page 0.25-0.50, unrelated 0.005-0.08. About
${Math.round(DEMO_SIZES.falseNegativeRate * 100)}% of records carry a false negative: a rewording of the positive scored just below it.
Negatives are in random order (as a retriever would list them), not sorted by score. The scores make
this file the distillation data too (\`margin_mse\` with \`negatives[].cross_encoder_score\`); there is
no separate distill.jsonl.

## eval/: held-out BEIR folder

- \`corpus.jsonl\`: ${d.corpus.length} documents (\`_id\`, \`title\`, \`text\`): the answers of all pairs in every language,
  information pages per object and unrelated FAQ pages (opening hours, shipping, ...) as distractors.
- \`queries.jsonl\`: ${perLang(d.queries.length)} questions, all about the ${d.heldOutPairs.length} (action, object) pairs that
  training never sees (not as query, positive or negative): ${d.heldOutPairs.join(', ')}.
  They use question templates training does not use, and a keyword form ("cancel subscription").
- \`qrels/test.tsv\`: one relevant answer per query (same pair, same language), score 1.
`;
}

/** Generate the demo data from `seed` and write it to `outDir` (replaced atomically). */
export function writeDemoData(outDir: string, seed = DEMO_SEED): DemoData {
  const d = generateDemoData(seed);
  writeFolderAtomically(outDir, (tmp) => {
    fs.mkdirSync(path.join(tmp, 'eval', 'qrels'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'train.jsonl'), jsonl(d.train));
    fs.writeFileSync(path.join(tmp, 'eval', 'corpus.jsonl'), jsonl(d.corpus));
    fs.writeFileSync(path.join(tmp, 'eval', 'queries.jsonl'), jsonl(d.queries));
    fs.writeFileSync(path.join(tmp, 'eval', 'qrels', 'test.tsv'), ['query-id\tcorpus-id\tscore', ...d.qrels.map(([q, c]) => `${q}\t${c}\t1`)].join('\n') + '\n');
    fs.writeFileSync(path.join(tmp, 'README.md'), readme(d));
  });
  return d;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const d = writeDemoData(DEMO_DATA_DIR);
  console.log(`wrote ${DEMO_DATA_DIR}: ${d.train.length} training records, ${d.corpus.length} documents, ${d.queries.length} held-out queries`);
}
