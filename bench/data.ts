// `npm run bench:data`: throughput of the training-data pipeline (read, validate, sample
// negatives, shuffle, batch 32, tokenize in worker threads) from JSONL and from Parquet, and peak
// RSS while streaming a large JSONL file end to end. Data is generated in a temp folder, queries
// ~15 tokens and passages ~100 tokens, in two layouts:
//   triples:        {query, positive, negative} (a sentence-transformers triplet set)
//   hard negatives: {query, positive, positive_score, language, negatives: [{document,
//                   cross_encoder_score}] x 8}, one negative sampled at random outside the top 1
// triples/s is counted as check-data counts it: from opening the stream (worker start-up
// included) to the last batch; "steady" leaves out the time to the first batch; CPU is the
// process's, all threads.
//   BENCH_DATA_RECORDS (records per file, default 40000), BENCH_DATA_RUNS (default 3),
//   BENCH_DATA_RSS_MB (size of the streamed JSONL, default 256; 2048 for the 2 GB figure)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetWriteFile } from 'hyparquet-writer';
import { openTrainingStream } from '../src/data/stream.js';
import { Tokenizer } from '@huggingface/tokenizers';
import { loadRecipe, type Recipe } from '../src/train/recipe.js';
import { streamRun } from '../src/train/stream-run.js';

const MODEL = fileURLToPath(new URL('../test/fixtures/tiny-bert', import.meta.url));
const MAX_LEN = 128; // above the passages' ~100 tokens, so tokenization is not cut short
const BATCH = 32;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Deterministic word soup. Mostly words that are whole tokens of tiny-bert's 600-entry WordPiece
// vocabulary, some that split into pieces: ~1.4 tokens per word, like real text with a full
// vocabulary (tiny-bert cuts ordinary English words into 2-3 pieces each, which would make the
// tokenizer's work per token unlike a real model's).
const WORDS = ('the confirm moment section page menu fact bill time days within two from your and follow open steps ' +
  'transfer cancel order ticket help settings application dashboard panel support profile orders billing renew track ' +
  'change mobile every after area day any you can it at be to in pour une para les votre vous pouvez tout deux jours ' +
  'chaque après espace confirmation être depuis und ihre können seite öffnen jederzeit wurde nachdem innerhalb über ' +
  'zurück garantie hilfe bestellungen kundendienst verlängern cuando desde días cada después página pasos pedidos ayuda ' +
  'renovar cancelar people weather story market window').split(' ');
let seed = 7;
const rand = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
const words = (n: number): string => Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
const query = (i: number): string => `${words(8)} ${i}?`;
const passage = (): string => words(70);

interface Layout {
  name: string;
  record(i: number): Record<string, unknown>;
  /** The recipe's data section, less `train`. */
  data: string;
  /** Parquet schema of the record's columns. */
  schema: object[];
}

const str = (name: string) => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' });
const LAYOUTS: Layout[] = [
  {
    name: 'triples',
    record: (i) => ({ query: query(i), positive: passage(), negative: passage() }),
    data: 'columns: {negatives: [negative]}, num_negatives: 1',
    schema: [str('query'), str('positive'), str('negative')],
  },
  {
    name: 'hard negatives',
    record: (i) => ({
      query: query(i),
      positive: passage(),
      positive_score: 9 + rand(),
      language: ['de', 'en', 'fr', 'es'][i % 4],
      negatives: Array.from({ length: 8 }, () => ({ document: passage(), cross_encoder_score: rand() * 8 })),
    }),
    data: 'preset: hard_negatives, num_negatives: 1, negative_sampling: random, negatives_skip_top: 1',
    schema: [
      str('query'),
      str('positive'),
      { name: 'positive_score', type: 'DOUBLE', repetition_type: 'REQUIRED' },
      str('language'),
      { name: 'negatives', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
      { name: 'document', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'cross_encoder_score', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
    ],
  },
];

function writeJsonl(file: string, layout: Layout, records: number, targetBytes = Infinity): number {
  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  let n = 0;
  while (n < records && bytes < targetBytes) {
    const chunk = Array.from({ length: 1000 }, (_, j) => JSON.stringify(layout.record(n + j))).join('\n') + '\n';
    fs.writeSync(fd, chunk);
    bytes += Buffer.byteLength(chunk);
    n += 1000;
  }
  fs.closeSync(fd);
  return n;
}

function writeParquet(jsonl: string, file: string, layout: Layout): void {
  const rows = fs.readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const top = Object.keys(rows[0]);
  parquetWriteFile({
    filename: file,
    rowGroupSize: 10000,
    columnData: top.map((name) => ({ name, data: rows.map((r) => r[name]) as never })),
    schema: [{ name: 'root', num_children: top.length }, ...layout.schema] as never,
  });
}

function writeRecipe(dir: string, train: string, layout: Layout): string {
  const file = path.join(dir, `recipe-${path.basename(train)}.yaml`);
  fs.writeFileSync(
    file,
    [
      `model: {path: ${JSON.stringify(MODEL)}, max_seq_length: ${MAX_LEN}}`,
      `data: {train: [${JSON.stringify(train)}], ${layout.data}}`,
      'loss: {name: mnrl}',
      `train: {batch_size: ${BATCH}, output_dir: ${JSON.stringify(path.join(dir, 'out'))}}`,
    ].join('\n'),
  );
  return file;
}

interface Throughput {
  overall: number;
  steady: number;
  firstBatchMs: number;
  perCpuSecond: number;
}

async function throughput(recipe: Recipe): Promise<Throughput> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const stream = openTrainingStream(recipe.data, streamRun(recipe));
  let first = 0;
  let triples = 0;
  let firstTriples = 0;
  for (let b = await stream.next(); b; b = await stream.next()) {
    if (!first) (first = performance.now()), (firstTriples = b.triples.length);
    triples += b.triples.length;
  }
  const end = performance.now();
  await stream.close();
  const used = process.cpuUsage(cpu);
  return {
    overall: triples / ((end - start) / 1000),
    steady: (triples - firstTriples) / ((end - first) / 1000),
    firstBatchMs: first - start,
    perCpuSecond: triples / ((used.user + used.system) / 1e6),
  };
}

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return Number(m![1]) / 1024;
}

/** Child-process mode: stream the recipe's data end to end (tokenized), print counts and VmHWM. */
async function streamOnly(recipeFile: string): Promise<void> {
  const recipe = loadRecipe(recipeFile);
  const stream = openTrainingStream(recipe.data, streamRun(recipe));
  let triples = 0;
  let sampled = 0;
  const started = performance.now();
  for (let b = await stream.next(); b; b = await stream.next()) {
    triples += b.triples.length;
    if (triples % (100 * BATCH) === 0) sampled = Math.max(sampled, process.memoryUsage().rss / 2 ** 20);
  }
  await stream.close();
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ triples, seconds, vmhwm_mb: peakRssMb(), sampled_rss_mb: sampled }));
}

async function main(): Promise<void> {
  const records = Number(process.env.BENCH_DATA_RECORDS ?? 40000);
  const runs = Number(process.env.BENCH_DATA_RUNS ?? 3);
  const rssMb = Number(process.env.BENCH_DATA_RSS_MB ?? 256);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-bench-data-'));
  try {
    // Untruncated token counts: the raw tokenizer (loadTokenizer holds max_seq_length to the model's positions).
    const read = (f: string) => JSON.parse(fs.readFileSync(path.join(MODEL, f), 'utf8'));
    const tok = new Tokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
    const avg = (xs: string[]): number => xs.reduce((a, t) => a + tok.encode(t).ids.length, 0) / xs.length;
    const sample = Array.from({ length: 300 }, (_, i) => [query(i), passage()]);
    console.log(
      `data: ${records} records per file; query ${avg(sample.map((s) => s[0])).toFixed(1)} tokens, passage ${avg(sample.map((s) => s[1])).toFixed(1)} tokens ` +
        `(tiny-bert WordPiece, max_seq_length ${MAX_LEN}); batch ${BATCH}; 2 tokenizer worker threads; ${os.availableParallelism()} CPUs`,
    );
    for (const layout of LAYOUTS) {
      const jsonl = path.join(dir, `${layout.name.replace(' ', '-')}.jsonl`);
      writeJsonl(jsonl, layout, records);
      const parquet = jsonl.replace(/\.jsonl$/, '.parquet');
      writeParquet(jsonl, parquet, layout);
      for (const [format, file] of [['JSONL', jsonl], ['Parquet', parquet]] as const) {
        const recipe = loadRecipe(writeRecipe(dir, file, layout));
        const results: Throughput[] = [];
        for (let r = 0; r < runs; r++) results.push(await throughput(recipe));
        const med = (k: keyof Throughput): number => Math.round(median(results.map((x) => x[k])));
        console.log(
          `${layout.name}, ${format}: ${med('overall')} triples/s (median of ${runs}: ${results.map((x) => Math.round(x.overall)).join(', ')}); ` +
            `steady ${med('steady')} triples/s after ${med('firstBatchMs')} ms to the first batch; ${med('perCpuSecond')} triples per CPU-second`,
        );
      }
    }
    console.log(`load average after measuring: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (other processes on the machine lower the figures)`);

    const layout = LAYOUTS[1];
    const big = path.join(dir, 'big.jsonl');
    const n = writeJsonl(big, layout, Infinity, rssMb * 2 ** 20);
    const size = fs.statSync(big).size;
    const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--stream-only', writeRecipe(dir, big, layout)], {
      encoding: 'utf8',
    });
    const r = JSON.parse(out.trim().split('\n').at(-1)!);
    console.log(
      `streamed a ${(size / 2 ** 20).toFixed(0)} MiB ${layout.name} JSONL end to end (${n} records, ${r.triples} triples, tokenized) in ${r.seconds.toFixed(1)} s: ` +
        `peak RSS ${r.vmhwm_mb.toFixed(0)} MB (VmHWM from /proc/self/status of the streaming process, worker threads included; ` +
        `largest sampled process.memoryUsage().rss ${r.sampled_rss_mb.toFixed(0)} MB)`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--stream-only') await streamOnly(process.argv[3]);
else await main();
