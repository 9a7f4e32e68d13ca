// `npm run bench:data`: throughput of the training-data pipeline (read, validate, sample a
// negative, batch 32, tokenize in worker threads) from JSONL and from Parquet, and peak RSS while
// streaming a large JSONL file end to end. Data is generated in a temp folder: grouped
// hard-negative records, queries ~15 tokens, passages ~100 tokens, 8 scored negatives each.
//   BENCH_DATA_RECORDS (records per throughput file, default 20000), BENCH_DATA_RUNS (default 3),
//   BENCH_DATA_RSS_MB (size of the streamed JSONL, default 256; 2048 for the 2 GB figure)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetWriteFile } from 'hyparquet-writer';
import { checkData } from '../src/cli/check-data.js';
import { openTrainingStream } from '../src/data/stream.js';
import { loadTokenizer } from '../src/model/tokenizer.js';
import { loadRecipe } from '../src/train/recipe.js';

const MODEL = fileURLToPath(new URL('../test/fixtures/tiny-bert', import.meta.url));
const MAX_LEN = 128; // above the passages' ~100 tokens, so tokenization is not cut short
const NEGATIVES = 8;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Deterministic word soup. Mostly words that are whole tokens of tiny-bert's 600-entry WordPiece
// vocabulary, some that split into pieces: ~1.2 tokens per word, like real text with a full
// vocabulary (tiny-bert splits ordinary English words into 2-3 pieces each, which would make the
// tokenizer's work per token unlike a real model's).
const WORDS = ('the confirm moment section page menu fact bill time days within two from your and follow open steps ' +
  'transfer cancel order ticket help settings application dashboard panel support profile orders billing renew track ' +
  'change mobile every after area day any you can it at be to in pour une para les votre vous pouvez tout deux jours ' +
  'chaque après espace confirmation être depuis und ihre können seite öffnen jederzeit wurde nachdem innerhalb über ' +
  'zurück garantie hilfe bestellungen kundendienst verlängern cuando desde días cada después página pasos pedidos ayuda ' +
  'renovar cancelar people weather story market window').split(' ');
let seed = 7;
const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const words = (n: number): string => Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
const record = (i: number): string =>
  JSON.stringify({
    query: `${words(8)} ${i}?`,
    positive: words(70),
    positive_score: 9 + rand(),
    language: ['de', 'en', 'fr', 'es'][i % 4],
    negatives: Array.from({ length: NEGATIVES }, () => ({ document: words(70), cross_encoder_score: rand() * 8 })),
  });

function writeJsonl(file: string, targetBytes: number, maxRecords = Infinity): number {
  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  let n = 0;
  while (bytes < targetBytes && n < maxRecords) {
    const chunk = Array.from({ length: 1000 }, (_, j) => record(n + j)).join('\n') + '\n';
    fs.writeSync(fd, chunk);
    bytes += Buffer.byteLength(chunk);
    n += 1000;
  }
  fs.closeSync(fd);
  return n;
}

function writeParquet(jsonl: string, file: string): void {
  const rows = fs.readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const col = (k: string): unknown[] => rows.map((r) => r[k]);
  parquetWriteFile({
    filename: file,
    rowGroupSize: 10000,
    columnData: ['query', 'positive', 'positive_score', 'language', 'negatives'].map((name) => ({ name, data: col(name) as never })),
    schema: [
      { name: 'root', num_children: 5 },
      { name: 'query', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
      { name: 'positive', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
      { name: 'positive_score', type: 'DOUBLE', repetition_type: 'REQUIRED' },
      { name: 'language', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
      { name: 'negatives', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
      { name: 'document', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'cross_encoder_score', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
    ],
  });
}

function writeRecipe(dir: string, train: string): string {
  const file = path.join(dir, `recipe-${path.basename(train)}.yaml`);
  fs.writeFileSync(
    file,
    [
      `model: {path: ${JSON.stringify(MODEL)}, max_seq_length: ${MAX_LEN}}`,
      `data: {train: [${JSON.stringify(train)}], preset: hard_negatives, num_negatives: 1, negative_sampling: random, negatives_skip_top: 1}`,
      'loss: {name: mnrl}',
      `train: {batch_size: 32, output_dir: ${JSON.stringify(path.join(dir, 'out'))}}`,
    ].join('\n'),
  );
  return file;
}

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return Number(m![1]) / 1024;
}

/** Child-process mode: stream the recipe's data end to end (tokenized) and print counts and VmHWM. */
async function streamOnly(recipeFile: string): Promise<void> {
  const stream = openTrainingStream(loadRecipe(recipeFile));
  let triples = 0;
  let maxSampled = 0;
  const started = performance.now();
  for (let b = await stream.next(); b; b = await stream.next()) {
    triples += b.triples.length;
    if (triples % 3200 === 0) maxSampled = Math.max(maxSampled, process.memoryUsage().rss / 2 ** 20);
  }
  await stream.close();
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ triples, seconds, vmhwm_mb: peakRssMb(), sampled_rss_mb: maxSampled }));
}

async function main(): Promise<void> {
  const records = Number(process.env.BENCH_DATA_RECORDS ?? 20000);
  const runs = Number(process.env.BENCH_DATA_RUNS ?? 3);
  const rssMb = Number(process.env.BENCH_DATA_RSS_MB ?? 256);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-bench-data-'));
  try {
    const jsonl = path.join(dir, 'hn.jsonl');
    writeJsonl(jsonl, Infinity, records);
    const parquet = path.join(dir, 'hn.parquet');
    writeParquet(jsonl, parquet);
    const tok = loadTokenizer(MODEL, 1e6);
    const sample = fs.readFileSync(jsonl, 'utf8').split('\n').slice(0, 500).filter(Boolean).map((l) => JSON.parse(l));
    const avg = (xs: string[]): number => xs.reduce((a, t) => a + tok.encode(t).length, 0) / xs.length;
    console.log(`data: ${records} records, query ${avg(sample.map((r) => r.query)).toFixed(1)} tokens, passage ${avg(sample.map((r) => r.positive)).toFixed(1)} tokens (tiny-bert WordPiece, max_seq_length ${MAX_LEN}), ${os.availableParallelism()} CPUs`);
    console.log('pipeline: read + map + sample 1 of 8 negatives (random, skip top 1) + shuffle + batch 32 + tokenize (2 worker threads)');
    for (const [name, file] of [['jsonl', jsonl], ['parquet', parquet]] as const) {
      const recipe = loadRecipe(writeRecipe(dir, file));
      const rates: number[] = [];
      for (let r = 0; r < runs; r++) rates.push((await checkData(recipe)).triples_per_s);
      console.log(`${name}: ${Math.round(median(rates))} triples/s (median of ${runs}: ${rates.join(', ')})`);
    }

    const big = path.join(dir, 'big.jsonl');
    const n = writeJsonl(big, rssMb * 2 ** 20);
    const size = fs.statSync(big).size;
    fs.rmSync(jsonl);
    const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--stream-only', writeRecipe(dir, big)], { encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').at(-1)!);
    console.log(
      `streamed ${(size / 2 ** 20).toFixed(0)} MiB JSONL (${n} records, ${r.triples} triples) in ${r.seconds.toFixed(1)} s ` +
        `(${Math.round(r.triples / r.seconds)} triples/s): peak RSS ${r.vmhwm_mb.toFixed(0)} MB ` +
        `(VmHWM of the streaming process from /proc/self/status, worker threads included; max sampled process.memoryUsage().rss ${r.sampled_rss_mb.toFixed(0)} MB)`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--stream-only') await streamOnly(process.argv[3]);
else await main();
