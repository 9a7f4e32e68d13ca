// The `densetrain` command line: a thin layer of yargs over the library API.
import yargs, { type Argv } from 'yargs';
import { BACKEND_CHOICES, describeBackend, initBackend } from '../engine/backend.js';
import { ENGINE_CHOICES } from '../train/engine.js';
import { embedFile } from './embed.js';
import { scoreFile } from './score.js';
import { runDemo } from './demo.js';
import { evalCommand } from './eval.js';
import { checkData } from './check-data.js';
import { loadRecipe } from '../train/recipe.js';
import { train } from '../train/trainer.js';
import { exportOnnx } from '../export/export.js';

/** `--a.b value` pairs from the command line, as recipe overrides. */
export function dottedOverrides(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([A-Za-z_]+\.[A-Za-z_.]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) continue;
    if (m[2] !== undefined) out[m[1]] = m[2];
    else if (i + 1 < argv.length) out[m[1]] = argv[++i];
    else throw new Error(`${argv[i]} needs a value`);
  }
  return out;
}

/** Select the backend and print the first line every computing command prints. */
async function startBackend(backend: string): Promise<void> {
  console.log(describeBackend(await initBackend(backend)));
}

const withBackend = <T>(y: Argv<T>) =>
  y.option('backend', {
    choices: BACKEND_CHOICES,
    default: process.env.DENSETRAIN_BACKEND ?? 'auto',
    describe: 'tfjs backend (env DENSETRAIN_BACKEND): auto takes tfjs-node-gpu, tfjs-node, wasm, then cpu',
  });

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const cli = yargs(argv)
    .scriptName('densetrain')
    .usage('$0 <command> [options]\n\nTrain, evaluate and export dense text retrievers on Node.js.')
    .command(
      'embed',
      'Embed texts with a model folder (JSONL `text` field, or one text per line) into JSONL',
      (y) =>
        withBackend(y)
          .option('model', { type: 'string', demandOption: true, describe: 'model folder (sentence-transformers or Hugging Face)' })
          .option('input', { type: 'string', demandOption: true, describe: 'input file: .jsonl with a "text" field, or plain text' })
          .option('output', { type: 'string', demandOption: true, describe: 'output JSONL, one {"embedding": [...]} per input line' })
          .option('engine', { choices: ['tfjs', 'onnx'] as const, default: 'tfjs' as const, describe: 'inference engine (onnx needs an exported folder)' })
          .option('batch-size', { type: 'number', default: 32 })
          .option('prompt-name', { type: 'string', describe: 'prompt of config_sentence_transformers.json to prepend (query, document)' }),
      async (a) => {
        if (a.engine === 'tfjs') await startBackend(a.backend);
        else console.log('densetrain: onnxruntime-node on CPU');
        const n = await embedFile({ model: a.model, input: a.input, output: a.output, engine: a.engine, batchSize: a['batch-size'], promptName: a['prompt-name'] });
        console.log(`embedded ${n} texts -> ${a.output}`);
      },
    )
    .command(
      'score',
      'Score (query, document) records with a cross-encoder: each JSONL record plus "logit" and "score" (sigmoid of the logit, as sentence-transformers CrossEncoder.predict)',
      (y) =>
        y
          .option('model', { type: 'string', demandOption: true, describe: 'cross-encoder folder (Hugging Face BertForSequenceClassification or XLMRobertaForSequenceClassification, one label)' })
          .option('input', { type: 'string', demandOption: true, describe: 'input .jsonl or .jsonl.gz, one {"query": ..., "document": ...} object per line (other fields are kept)' })
          .option('output', { type: 'string', demandOption: true, describe: 'output .jsonl: each input record plus "logit" and "score", in input order' })
          .option('query-column', { type: 'string', default: 'query', describe: 'field holding the query' })
          .option('document-column', { type: 'string', default: 'document', describe: 'field holding the document' })
          .option('batch-size', { type: 'number', default: 32 })
          .option('max-length', { type: 'number', describe: "tokens per pair, specials included (default: tokenizer_config.json's model_max_length, capped by the model's positions)" }),
      async (a) => {
        console.log('densetrain: onnxruntime-node on CPU');
        const n = await scoreFile({ model: a.model, input: a.input, output: a.output, queryColumn: a['query-column'], documentColumn: a['document-column'], batchSize: a['batch-size'], maxLength: a['max-length'] });
        console.log(`scored ${n} pairs -> ${a.output}`);
      },
    )
    .command(
      'train',
      'Train with a recipe (YAML or JSON); override any key with --<dotted.key> VALUE, e.g. --train.lr 2e-5',
      (y) =>
        withBackend(y)
          .option('recipe', { type: 'string', demandOption: true, describe: 'recipe file' })
          .option('engine', { choices: ENGINE_CHOICES, describe: 'training engine (train.engine): auto takes tfjs on tfjs-node(-gpu), onnx (onnxruntime) otherwise' })
          .strict(false),
      async (a) => {
        const overrides = dottedOverrides(argv);
        if (a.engine) overrides['train.engine'] = a.engine;
        const recipe = loadRecipe(a.recipe, overrides);
        // The trainer's first line names the engine and what runs it (the tfjs backend or onnxruntime's provider).
        await initBackend(a.backend);
        const r = await train(recipe);
        console.log(`trained ${r.steps} steps -> ${r.finalDir}` + (r.lastMetrics ? ` (last loss ${r.lastMetrics.loss.toFixed(4)})` : ''));
      },
    )
    .command(
      'check-data',
      "Stream a recipe's training data through the whole input pipeline without training; print a JSON summary",
      (y) => y.option('recipe', { type: 'string', demandOption: true }).strict(false),
      async (a) => {
        const summary = await checkData(loadRecipe(a.recipe, dottedOverrides(argv)));
        console.log(JSON.stringify(summary));
      },
    )
    .command(
      'export',
      'Export a model folder to ONNX (DIR/onnx/model.onnx next to the model files), checked against the tfjs encoder',
      (y) =>
        withBackend(y)
          .option('model', { type: 'string', demandOption: true, describe: 'model folder' })
          .option('output', { type: 'string', demandOption: true, describe: 'output folder (a complete model folder)' })
          .option('opset', { type: 'number', default: 17, describe: 'ONNX opset (17-23)' })
          .option('quantize', { choices: ['int8'] as const, describe: 'also write onnx/model_int8.onnx (int8 Linear layers) and report its accuracy cost' }),
      async (a) => {
        await startBackend(a.backend);
        const r = await exportOnnx(a.model, a.output, { opset: a.opset, quantize: a.quantize });
        console.log(`wrote ${r.onnxPath} (onnxruntime vs tfjs max abs difference ${r.maxAbsDiff.toExponential(2)})`);
        if (r.int8) console.log(`wrote ${r.int8.onnxPath} (max abs difference ${r.int8.maxAbsDiff.toExponential(2)}, min cosine ${r.int8.minCosine.toFixed(6)} vs float32)`);
      },
    )
    .command(
      'eval',
      'Retrieval metrics on a BEIR folder (exact cosine search), as sentence-transformers InformationRetrievalEvaluator',
      (y) =>
        withBackend(y)
          .option('model', { type: 'string', demandOption: true })
          .option('data', { type: 'string', demandOption: true, describe: 'BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv' })
          .option('split', { type: 'string', default: 'test' })
          .option('engine', { choices: ['tfjs', 'onnx'] as const, default: 'tfjs' as const })
          .option('batch-size', { type: 'number', default: 64 })
          .option('output', { type: 'string', describe: 'also write the metrics as JSON to this file' }),
      async (a) => {
        if (a.engine === 'tfjs') await startBackend(a.backend);
        else console.log('densetrain: onnxruntime-node on CPU');
        const metrics = await evalCommand({ model: a.model, data: a.data, split: a.split, engine: a.engine, batchSize: a['batch-size'], output: a.output });
        console.log(JSON.stringify(metrics));
      },
    )
    .command(
      'mine',
      "Mine hard negatives for (query, positive) records, with sentence-transformers' mine_hard_negatives semantics; resumes an interrupted run",
      (y) =>
        y
          .option('model', { type: 'string', demandOption: true, describe: 'bi-encoder model folder (dense search, and the scores without --cross-encoder)' })
          .option('data', { type: 'string', demandOption: true, describe: '(query, positive) records: .jsonl, .jsonl.gz, .parquet, .arrow or a BEIR folder (qrels/train.tsv)' })
          .option('corpus', { type: 'string', array: true, describe: 'candidate documents: JSONL with "text" (and "title", as a BEIR corpus.jsonl) or a BEIR folder; the positives are always added. Default: the positives' })
          .option('output', { type: 'string', demandOption: true, describe: 'output JSONL, appended as queries are mined; OUTPUT.mine.json records the arguments for a resume' })
          .option('first-stage', { choices: ['dense', 'bm25', 'hybrid'] as const, default: 'dense' as const, describe: 'candidate search: bi-encoder cosine, BM25 (Lucene formula, k1 1.2, b 0.75), or both by reciprocal rank fusion (k 60)' })
          .option('top-k', { type: 'number', describe: 'first-stage candidates per query (default: range-max + the most positives a query has, as sentence-transformers)' })
          .option('cross-encoder', { type: 'string', describe: 'cross-encoder folder (one label): rescores candidates and positives; its scores are then the ones filtered and written' })
          .option('range-min', { type: 'number', default: 0, describe: 'skip this many best remaining candidates' })
          .option('range-max', { type: 'number', describe: 'consider only the best this many remaining candidates (default: --top-k if given, else 200)' })
          .option('max-score', { type: 'number', describe: 'drop candidates scoring above this' })
          .option('min-score', { type: 'number', describe: 'drop candidates scoring below this' })
          .option('absolute-margin', { type: 'number', describe: "drop candidates with score + margin > the positive's score" })
          .option('relative-margin', { type: 'number', describe: "drop candidates with score > the positive's score * (1 - margin)" })
          .option('num-negatives', { type: 'number', default: 3, describe: 'negatives per query' })
          .option('sampling-strategy', { choices: ['top', 'random'] as const, default: 'top' as const, describe: 'the best remaining candidates, or a seeded random sample of them' })
          .option('seed', { type: 'number', default: 0, describe: 'seed of --sampling-strategy random' })
          .option('query-column', { type: 'string', default: 'query', describe: 'column (path) of the query in --data' })
          .option('positive-column', { type: 'string', default: 'positive', describe: 'column (path) of the positive in --data' })
          .option('output-format', { choices: ['grouped', 'n-tuple'] as const, default: 'grouped' as const, describe: 'grouped: the hard_negatives preset layout (a query with at least one negative is written); n-tuple: rows as sentence-transformers returns them (only queries with num-negatives negatives)' })
          .option('batch-size', { type: 'number', default: 32, describe: 'texts (or cross-encoder pairs) per model call' }),
      async (a) => {
        const { mineCommand } = await import('./mine.js');
        const summary = await mineCommand({
          model: a.model, data: a.data, corpus: a.corpus, output: a.output, firstStage: a['first-stage'], topK: a['top-k'],
          crossEncoder: a['cross-encoder'], rangeMin: a['range-min'], rangeMax: a['range-max'], maxScore: a['max-score'],
          minScore: a['min-score'], absoluteMargin: a['absolute-margin'], relativeMargin: a['relative-margin'],
          numNegatives: a['num-negatives'], samplingStrategy: a['sampling-strategy'], seed: a.seed, queryColumn: a['query-column'],
          positiveColumn: a['positive-column'], outputFormat: a['output-format'], batchSize: a['batch-size'],
        });
        console.log(JSON.stringify(summary));
      },
    )
    .command(
      'demo',
      'The embedded demo: evaluate the default model, train it on the demo data, evaluate again, export to ONNX',
      (y) => withBackend(y).option('output', { type: 'string', default: 'runs/demo', describe: 'where the run goes' }),
      async (a) => {
        await startBackend(a.backend);
        await runDemo(a.output);
      },
    )
    .demandCommand(1, 'name a command (see --help)')
    .strict()
    .help()
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    });
  await cli.parseAsync();
  return code;
}
