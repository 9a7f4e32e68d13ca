// The `densetrain` command line: a thin layer of yargs over the library API. Every flag is known
// or an error: the plain flags of each command are declared below, and train/check-data read the
// other `--section.key VALUE` flags as recipe overrides, which the recipe schema checks.
import yargs, { type Options } from 'yargs';
import { BACKEND_CHOICES } from '../tfjs/backend-choices.js';
import { ENGINE_CHOICES, resolveEngine } from '../train/engine.js';
import { encodeFlagNotices } from './encode-engine.js';
import { embedFile, INPUT_FORMATS } from './embed.js';
import { scoreFile } from './score.js';
import { DEFAULT_DEMO_OUTPUT, runDemo } from './demo.js';
import { DEFAULT_MINING_DEMO_OUTPUT, runMiningDemo } from './demo-mining.js';
import { evalCommand } from './eval.js';
import { checkData } from './check-data.js';
import { RECIPE_SECTIONS, loadRecipe, recipeKeys } from '../train/recipe.js';
import { train } from '../train/trainer.js';
import { exportOnnx } from '../export/export.js';
import { resolveModel } from '../model/hub.js';
import { didYouMean, formatError } from '../errors.js';
import { exitOnInterrupt, setInterruptNote, trainInterruptNote } from './interrupt.js';

/** An integer flag of at least `min`, checked when parsed (`--batch-size 0` used to hang). */
function intAtLeast(flag: string, min: number) {
  return (v: unknown): number => {
    if (Array.isArray(v)) throw new Error(`--${flag} is given more than once (${v.join(', ')}); give it once`);
    const n = typeof v === 'number' ? v : /^\s*[+-]?\d+\s*$/.test(String(v)) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be an integer >= ${min} (got ${String(v)})`);
    return n;
  };
}

const GLOBAL_OPTIONS = {
  debug: { type: 'boolean', global: true, describe: 'on an internal error, print the stack trace (also env DENSETRAIN_DEBUG=1)' },
} as const satisfies Record<string, Options>;

const BACKEND_OPTION = {
  backend: {
    choices: BACKEND_CHOICES,
    default: process.env.DENSETRAIN_BACKEND ?? 'auto',
    describe: 'tfjs backend (env DENSETRAIN_BACKEND): auto takes tfjs-node-gpu, tfjs-node, wasm, then cpu',
  },
} as const satisfies Record<string, Options>;

// embed and eval run on onnxruntime (all cores; the graph is built from the folder's weights, no
// export needed): their --engine and --backend are deprecated aliases (encode-engine.ts).
const ENCODE_DEPRECATED = {
  engine: { type: 'string', requiresArg: true, describe: 'deprecated: always onnx (onnxruntime); auto and onnx are accepted with a notice' },
  backend: { type: 'string', requiresArg: true, describe: 'deprecated: a tfjs training setting, not used here' },
} as const satisfies Record<string, Options>;

const EMBED_OPTIONS = {
  ...ENCODE_DEPRECATED,
  model: { type: 'string', demandOption: true, describe: 'model folder (sentence-transformers or Hugging Face) or Hugging Face Hub id ORG/NAME[@revision]' },
  input: { type: 'string', demandOption: true, describe: 'input file (.gz too): JSONL objects with a "text" field, or plain text, one text per line' },
  'input-format': { choices: INPUT_FORMATS, default: 'auto' as const, describe: 'auto: JSONL when every non-empty line is a JSON object (always for .jsonl), plain text when none is' },
  output: { type: 'string', demandOption: true, describe: 'output JSONL, one {"embedding": [...]} per input line (not the input file)' },
  'batch-size': { requiresArg: true, default: 32, coerce: intAtLeast('batch-size', 1), describe: 'texts per forward pass (integer >= 1)' },
  'prompt-name': { type: 'string', describe: 'a prompt of config_sentence_transformers.json (e.g. query), else its default' },
  prompt: { type: 'string', describe: 'a text to prepend to every input (encode(prompt=...))' },
} as const satisfies Record<string, Options>;

const TRAIN_OPTIONS = {
  ...BACKEND_OPTION,
  recipe: { type: 'string', demandOption: true, describe: 'recipe file (YAML or JSON)' },
  engine: { choices: ENGINE_CHOICES, describe: 'training engine (train.engine): auto means onnx (onnxruntime), whatever tfjs backend is installed; tfjs (bert, xlm-roberta) only when asked' },
  overwrite_output_dir: { type: 'boolean', describe: "train into a train.output_dir that holds another run, replacing that run's files" },
} as const satisfies Record<string, Options>;

const CHECK_DATA_OPTIONS = {
  recipe: { type: 'string', demandOption: true, describe: 'recipe file (YAML or JSON)' },
} as const satisfies Record<string, Options>;

const EXPORT_OPTIONS = {
  ...BACKEND_OPTION,
  model: { type: 'string', demandOption: true, describe: 'model folder or Hugging Face Hub id ORG/NAME[@revision]' },
  output: { type: 'string', demandOption: true, describe: 'output folder (a complete model folder): new, empty, or an earlier export' },
  opset: { requiresArg: true, default: 17, coerce: intAtLeast('opset', 1), describe: 'ONNX opset (17-23)' },
  quantize: { choices: ['int8'] as const, describe: 'also write onnx/model_int8.onnx (int8 Linear layers) and report its accuracy cost' },
  overwrite: { type: 'boolean', describe: 'write into a non-empty folder that is not an earlier export, replacing what the export writes' },
} as const satisfies Record<string, Options>;

const EVAL_OPTIONS = {
  ...ENCODE_DEPRECATED,
  model: { type: 'string', demandOption: true, describe: 'model folder or Hugging Face Hub id ORG/NAME[@revision]' },
  data: { type: 'string', demandOption: true, describe: 'BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv' },
  split: { type: 'string', default: 'test', describe: 'which qrels/<split>.tsv to score' },
  'batch-size': { requiresArg: true, default: 64, coerce: intAtLeast('batch-size', 1), describe: 'texts per forward pass (integer >= 1)' },
  output: { type: 'string', describe: 'also write the metrics as JSON to this file' },
  'st-names': { type: 'boolean', default: false, describe: "name the metrics as sentence-transformers does (cosine_ndcg@10, cosine_precision@1, ...)" },
} as const satisfies Record<string, Options>;

const SCORE_OPTIONS = {
  model: { type: 'string', demandOption: true, describe: 'cross-encoder folder (Hugging Face BertForSequenceClassification or XLMRobertaForSequenceClassification, one label) or Hugging Face Hub id ORG/NAME[@revision]' },
  input: { type: 'string', demandOption: true, describe: 'input .jsonl or .jsonl.gz, one {"query": ..., "document": ...} object per line (other fields are kept)' },
  output: { type: 'string', demandOption: true, describe: 'output .jsonl: each input record plus "logit" and "score", in input order' },
  'query-column': { type: 'string', default: 'query', describe: 'field holding the query' },
  'document-column': { type: 'string', default: 'document', describe: 'field holding the document' },
  'batch-size': { requiresArg: true, default: 32, coerce: intAtLeast('batch-size', 1), describe: 'pairs per forward pass (integer >= 1)' },
  'max-length': { requiresArg: true, coerce: intAtLeast('max-length', 2), describe: "tokens per pair, specials included (default: tokenizer_config.json's model_max_length, capped by the model's positions)" },
} as const satisfies Record<string, Options>;

const MINE_OPTIONS = {
  model: { type: 'string', demandOption: true, describe: 'bi-encoder model folder or Hugging Face Hub id ORG/NAME[@revision] (dense search, and the scores without --cross-encoder)' },
  data: { type: 'string', demandOption: true, describe: '(query, positive) records: .jsonl, .jsonl.gz, .parquet, .arrow or a BEIR folder (qrels/train.tsv)' },
  corpus: { type: 'string', array: true, describe: 'candidate documents: JSONL with "text" (and "title", as a BEIR corpus.jsonl) or a BEIR folder; the positives are always added. Default: the positives' },
  output: { type: 'string', demandOption: true, describe: 'output JSONL, appended as queries are mined; OUTPUT.mine.json records the arguments for a resume' },
  'first-stage': { choices: ['dense', 'bm25', 'hybrid'] as const, default: 'dense' as const, describe: 'candidate search: bi-encoder cosine, BM25 (Lucene formula, k1 1.2, b 0.75), or both by reciprocal rank fusion (k 60)' },
  'top-k': { requiresArg: true, coerce: intAtLeast('top-k', 1), describe: 'first-stage candidates per query (default: range-max + the most positives a query has, as sentence-transformers)' },
  'cross-encoder': { type: 'string', describe: 'cross-encoder folder or Hugging Face Hub id ORG/NAME[@revision] (one label): rescores candidates and positives; its scores are then the ones filtered and written' },
  'range-min': { requiresArg: true, default: 0, coerce: intAtLeast('range-min', 0), describe: 'skip this many best remaining candidates' },
  'range-max': { requiresArg: true, coerce: intAtLeast('range-max', 1), describe: 'consider only the best this many remaining candidates (default: --top-k if given, else 200)' },
  'max-score': { type: 'number', requiresArg: true, describe: 'drop candidates scoring above this' },
  'min-score': { type: 'number', requiresArg: true, describe: 'drop candidates scoring below this' },
  'absolute-margin': { type: 'number', requiresArg: true, describe: "drop candidates with score + margin > the positive's score" },
  'relative-margin': { type: 'number', requiresArg: true, describe: "drop candidates with score > the positive's score * (1 - margin)" },
  'num-negatives': { requiresArg: true, default: 3, coerce: intAtLeast('num-negatives', 1), describe: 'negatives per query' },
  'sampling-strategy': { choices: ['top', 'random'] as const, default: 'top' as const, describe: 'the best remaining candidates, or a seeded random sample of them' },
  seed: { requiresArg: true, default: 0, coerce: intAtLeast('seed', 0), describe: 'seed of --sampling-strategy random' },
  'query-column': { type: 'string', default: 'query', describe: 'column (path) of the query in --data' },
  'positive-column': { type: 'string', default: 'positive', describe: 'column (path) of the positive in --data' },
  'output-format': { choices: ['grouped', 'n-tuple'] as const, default: 'grouped' as const, describe: 'grouped: the hard_negatives preset layout (a query with at least one negative is written); n-tuple: rows as sentence-transformers returns them (only queries with num-negatives negatives)' },
  'batch-size': { requiresArg: true, default: 32, coerce: intAtLeast('batch-size', 1), describe: 'texts (or cross-encoder pairs) per model call (integer >= 1)' },
} as const satisfies Record<string, Options>;

const DEMO_OPTIONS = {
  ...BACKEND_OPTION,
  mining: { type: 'boolean', describe: 'the mining chain instead: mine hard negatives with the default model and the demo cross-encoder, train MarginMSE distillation on them, evaluate before and after' },
  output: { type: 'string', describe: `where the run goes (default ${DEFAULT_DEMO_OUTPUT}, with --mining ${DEFAULT_MINING_DEMO_OUTPUT}; a folder holding a run the demo did not write is refused)` },
} as const satisfies Record<string, Options>;

/** Each command's plain flags, for unknown-flag messages and the override scan. */
const COMMAND_OPTIONS: Record<string, Record<string, Options>> = {
  embed: EMBED_OPTIONS,
  train: TRAIN_OPTIONS,
  'check-data': CHECK_DATA_OPTIONS,
  export: EXPORT_OPTIONS,
  eval: EVAL_OPTIONS,
  score: SCORE_OPTIONS,
  mine: MINE_OPTIONS,
  demo: DEMO_OPTIONS,
};
const BUILTIN_FLAGS: Record<string, Options> = { ...GLOBAL_OPTIONS, help: { type: 'boolean' }, version: { type: 'boolean' } };

/** The command named in argv (its first word that is not a flag), if any. */
export function commandOf(argv: string[]): string | undefined {
  return argv.find((a) => Object.hasOwn(COMMAND_OPTIONS, a)) ?? argv.find((a) => !a.startsWith('-'));
}

/**
 * The recipe overrides in a train/check-data command line: every flag that is not one of the
 * command's own (`--train.lr 2e-5`, `--train.lr=2e-5`). A flag that is neither an option nor a
 * recipe key is an error with a did-you-mean; recipe keys themselves are checked by loadRecipe.
 */
export function recipeOverrides(argv: string[], command = commandOf(argv) ?? 'train'): Record<string, string> {
  const own = { ...BUILTIN_FLAGS, ...COMMAND_OPTIONS[command] };
  const out: Record<string, string> = {};
  let sawCommand = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (!token.startsWith('-') || /^-\d/.test(token)) {
      if (!sawCommand && token === command) sawCommand = true;
      else throw new Error(`unexpected argument "${token}" (options are --name VALUE; see densetrain ${command} --help)`);
      continue;
    }
    const eq = token.indexOf('=');
    const name = token.slice(token.startsWith('--') ? 2 : 1, eq < 0 ? undefined : eq);
    const inline = eq < 0 ? undefined : token.slice(eq + 1);
    const kebab = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`); // yargs' camelCase alias
    const plain = Object.hasOwn(own, name) ? own[name] : Object.hasOwn(own, kebab) ? own[kebab] : undefined;
    if (plain) {
      const takesValue = plain.type !== 'boolean' || /^(true|false)$/.test(argv[i + 1] ?? ''); // yargs reads `--flag false` too
      if (takesValue && inline === undefined) i++;
      continue;
    }
    const section = name.split('.')[0];
    if (!token.startsWith('--') || (!RECIPE_SECTIONS.includes(section) && !name.includes('.'))) {
      const hint = didYouMean(name, [...Object.keys(own), ...recipeKeys()]);
      throw new Error(`unknown flag ${token.split('=')[0]}${hint ? `; did you mean --${hint}?` : ''} (see densetrain ${command} --help)`);
    }
    if (inline !== undefined) out[name] = inline;
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[name] = argv[++i];
    else throw new Error(`--${name} needs a value`);
  }
  return out;
}

/** yargs' "Unknown argument(s): a, b" as our message: flag or stray word, with a did-you-mean. */
function unknownArguments(msg: string, argv: string[]): string | undefined {
  const m = /^Unknown arguments?: (.*)$/.exec(msg);
  if (!m) return undefined;
  const command = commandOf(argv);
  const commands = Object.keys(COMMAND_OPTIONS);
  if (command === undefined || !commands.includes(command)) {
    const hint = command === undefined ? undefined : didYouMean(command, commands);
    return `unknown command "${command}"${hint ? `; did you mean ${hint}?` : ''} (commands: ${commands.join(', ')})`;
  }
  const known = Object.keys({ ...BUILTIN_FLAGS, ...COMMAND_OPTIONS[command] });
  return m[1]
    .split(', ')
    .map((name) => {
      const isFlag = argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`) || a === `-${name}`);
      if (!isFlag) return `unexpected argument "${name}" (see densetrain ${command} --help)`;
      const hint = didYouMean(name, known);
      return `unknown flag --${name}${hint ? `; did you mean --${hint}?` : ''} (see densetrain ${command} --help)`;
    })
    .join('; ');
}

/** Select the backend and print the first line every computing command prints. */
/** TensorFlow.js is loaded for the commands that use it only. */
async function startBackend(backend: string): Promise<void> {
  const { describeBackend, initBackend } = await import('../tfjs/backend.js');
  console.log(describeBackend(await initBackend(backend)));
}

/** Run one command line; errors are thrown (cli() below prints them). */
export async function main(argv: string[]): Promise<number> {
  const code = 0;
  const cli = yargs(argv)
    .scriptName('densetrain')
    .usage('$0 <command> [options]\n\nTrain, evaluate and export dense text retrievers on Node.js.')
    .options(GLOBAL_OPTIONS)
    .command(
      'embed',
      'Embed texts with a model folder (JSONL `text` field, or one text per line) into JSONL',
      (y) => y.options(EMBED_OPTIONS),
      async (a) => {
        for (const line of encodeFlagNotices('embed', a)) console.error(line);
        const model = await resolveModel(a.model); // a Hub id is downloaded before its config is read
        console.log('densetrain: onnxruntime-node on CPU');
        const n = await embedFile({
          model, input: a.input, output: a.output, batchSize: a['batch-size'],
          promptName: a['prompt-name'], prompt: a.prompt, inputFormat: a['input-format'],
        });
        console.log(`embedded ${n} texts -> ${a.output}`);
      },
    )
    .command(
      'score',
      'Score (query, document) records with a cross-encoder: each JSONL record plus "logit" and "score" (sigmoid of the logit, as sentence-transformers CrossEncoder.predict)',
      (y) => y.options(SCORE_OPTIONS),
      async (a) => {
        console.log('densetrain: onnxruntime-node on CPU');
        const n = await scoreFile({ model: await resolveModel(a.model), input: a.input, output: a.output, queryColumn: a['query-column'], documentColumn: a['document-column'], batchSize: a['batch-size'], maxLength: a['max-length'] });
        console.log(`scored ${n} pairs -> ${a.output}`);
      },
    )
    .command(
      'train',
      'Train with a recipe (YAML or JSON); override any recipe key with --<section.key> VALUE, e.g. --train.lr 2e-5',
      (y) => y.options(TRAIN_OPTIONS).epilogue(`Recipe keys (each also a --<key> VALUE override):\n  ${recipeKeys().join(', ')}`).strict(false),
      async (a) => {
        const overrides = recipeOverrides(argv, 'train');
        if (a.engine) overrides['train.engine'] = a.engine;
        const recipe = loadRecipe(a.recipe, overrides);
        setInterruptNote(() => trainInterruptNote(recipe.train.output_dir));
        // The trainer's first line names the engine and what runs it; tfjs (and its --backend) is loaded for a tfjs run only.
        if (resolveEngine(recipe.train.engine) === 'tfjs') await (await import('../tfjs/backend.js')).initBackend(a.backend);
        const r = await train(recipe, a.overwrite_output_dir ? { overwriteOutputDir: true } : {});
        console.log(`trained ${r.steps} steps -> ${r.finalDir}` + (r.lastMetrics ? ` (last loss ${r.lastMetrics.loss.toFixed(4)})` : ''));
      },
    )
    .command(
      'check-data',
      "Stream a recipe's training data through the whole input pipeline without training; print a JSON summary",
      (y) => y.options(CHECK_DATA_OPTIONS).epilogue(`Recipe keys (each also a --<key> VALUE override):\n  ${recipeKeys().join(', ')}`).strict(false),
      async (a) => {
        const summary = await checkData(loadRecipe(a.recipe, recipeOverrides(argv, 'check-data')));
        console.log(JSON.stringify(summary));
      },
    )
    .command(
      'export',
      'Export a model folder to ONNX (DIR/onnx/model.onnx next to the model files), checked against an independent encoder (tfjs for bert and xlm-roberta, else the graph built in memory)',
      (y) => y.options(EXPORT_OPTIONS),
      async (a) => {
        await startBackend(a.backend);
        const r = await exportOnnx(await resolveModel(a.model), a.output, { opset: a.opset, quantize: a.quantize, overwrite: a.overwrite });
        console.log(`wrote ${r.onnxPath} (max abs difference ${r.maxAbsDiff.toExponential(2)} vs ${r.checkedAgainst === 'tfjs' ? 'the tfjs encoder' : 'the in-memory graph'})`);
        if (r.int8) console.log(`wrote ${r.int8.onnxPath} (max abs difference ${r.int8.maxAbsDiff.toExponential(2)}, min cosine ${r.int8.minCosine.toFixed(6)} vs float32)`);
      },
    )
    .command(
      'eval',
      'Retrieval metrics on a BEIR folder (exact cosine search), as sentence-transformers InformationRetrievalEvaluator',
      (y) => y.options(EVAL_OPTIONS),
      async (a) => {
        for (const line of encodeFlagNotices('eval', a)) console.error(line);
        const model = await resolveModel(a.model);
        console.log('densetrain: onnxruntime-node on CPU');
        const metrics = await evalCommand({ model, data: a.data, split: a.split, batchSize: a['batch-size'], output: a.output, stNames: a['st-names'] });
        console.log(JSON.stringify(metrics));
      },
    )
    .command(
      'mine',
      "Mine hard negatives for (query, positive) records, with sentence-transformers' mine_hard_negatives semantics; resumes an interrupted run",
      (y) => y.options(MINE_OPTIONS),
      async (a) => {
        const { mineCommand } = await import('./mine.js');
        const summary = await mineCommand({
          model: await resolveModel(a.model), data: a.data, corpus: a.corpus, output: a.output, firstStage: a['first-stage'], topK: a['top-k'],
          crossEncoder: a['cross-encoder'] && (await resolveModel(a['cross-encoder'])), rangeMin: a['range-min'], rangeMax: a['range-max'], maxScore: a['max-score'],
          minScore: a['min-score'], absoluteMargin: a['absolute-margin'], relativeMargin: a['relative-margin'],
          numNegatives: a['num-negatives'], samplingStrategy: a['sampling-strategy'], seed: a.seed, queryColumn: a['query-column'],
          positiveColumn: a['positive-column'], outputFormat: a['output-format'], batchSize: a['batch-size'],
        });
        console.log(JSON.stringify(summary));
      },
    )
    .command(
      'demo',
      'The embedded demo: evaluate the default model, train it on the demo data, evaluate again, export to ONNX (--mining: the hard-negative mining chain)',
      (y) => y.options(DEMO_OPTIONS),
      async (a) => {
        await startBackend(a.backend);
        if (a.mining) await runMiningDemo(a.output ?? DEFAULT_MINING_DEMO_OUTPUT);
        else await runDemo(a.output ?? DEFAULT_DEMO_OUTPUT);
      },
    )
    .demandCommand(1, 'name a command (see --help)')
    .strict()
    .help()
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new Error(unknownArguments(msg, argv) ?? msg);
    });
  await cli.parseAsync();
  return code;
}

/** The bin's entry: run main, print a failure as one paragraph (an internal error as a bug, its
 * stack behind --debug), exit 130 with a line on Ctrl-C. Returns the exit code. */
export async function cli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const command = commandOf(argv);
  exitOnInterrupt(command);
  try {
    return await main(argv);
  } catch (err) {
    console.error(formatError(err, { command, debug: argv.includes('--debug') || env.DENSETRAIN_DEBUG === '1' }));
    return 1;
  }
}
