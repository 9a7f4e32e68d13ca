// `npm run demo:mining` / `densetrain demo --mining`: issue 15's chain on the embedded data in a
// few minutes: mine hard negatives for data/demo/train.jsonl with the default model (BM25 and
// dense candidates fused) rescored by the demo cross-encoder (models/demo-cross-encoder), train
// MarginMSE distillation on the mined file (recipes/demo-mined-distillation.yaml), evaluate before
// and after on data/demo/eval, summarise. Everything it writes goes into its output folder.
import fs from 'node:fs';
import path from 'node:path';
import type { MineSummary } from '../mine/mine.js';
import { sidecarPath } from '../mine/output.js';
import { loadRecipe, type Recipe } from '../train/recipe.js';
import { train } from '../train/trainer.js';
import { claimOutput, ROOT } from './demo.js';
import { evalCommand } from './eval.js';
import { mineCommand } from './mine.js';

const RECIPE = path.join(ROOT, 'recipes', 'demo-mined-distillation.yaml');

export const DEFAULT_MINING_DEMO_OUTPUT = 'runs/demo-mining';

/** The mined file, in the output folder. */
export const MINED_FILE = 'hard-negatives.jsonl';

/**
 * Mining settings of the chain: 4 of the 30 best fused candidates per query, drawn at random. The
 * 4 best by the small demo cross-encoder are mostly ones it scores above the positive (its own
 * mistakes, and rewordings of the positive), whose margins teach the student little: on the demo,
 * ndcg@10 fell after distillation on them and rose to about 0.22 with random draws.
 */
export const MINING = { firstStage: 'hybrid', rangeMax: 30, numNegatives: 4, samplingStrategy: 'random', seed: 0 } as const;

export interface MiningDemoOptions {
  /** (query, positive) records to mine for; default the package's data/demo/train.jsonl. */
  data?: string;
  /** Training steps; default the recipe's. */
  maxSteps?: number;
}

export interface MiningDemoResult {
  mined: MineSummary;
  before: number;
  after: number;
  steps: number;
}

/** The chain's recipe with the package's model and eval data, training on `minedFile` into `outputDir`. */
export function miningDemoRecipe(outputDir: string, minedFile: string, maxSteps?: number): Recipe {
  const overrides: Record<string, string> = {
    'train.output_dir': outputDir,
    'model.path': path.join(ROOT, 'models/default'),
    'data.train': JSON.stringify([minedFile]), // a list of one path
    'eval.data': path.join(ROOT, 'data/demo/eval'),
  };
  if (maxSteps !== undefined) overrides['train.max_steps'] = String(maxSteps);
  return loadRecipe(RECIPE, overrides);
}

export async function runMiningDemo(outputDir: string, opts: MiningDemoOptions = {}): Promise<MiningDemoResult> {
  const minedFile = path.join(outputDir, MINED_FILE);
  const recipe = miningDemoRecipe(outputDir, minedFile, opts.maxSteps);
  claimOutput(outputDir, { own: [MINED_FILE, path.basename(sidecarPath(minedFile))] });
  const rel = (p: string) => path.relative(process.cwd(), p);
  const model = recipe.model.path, crossEncoder = path.join(ROOT, 'models/demo-cross-encoder'), evalData = recipe.eval!.data;
  const data = opts.data ?? path.join(ROOT, 'data/demo/train.jsonl');
  const t0 = Date.now();

  // The folder is the demo's (claimOutput): an earlier demo's mined file is replaced, not resumed.
  for (const f of [minedFile, sidecarPath(minedFile)]) fs.rmSync(f, { force: true });
  console.log(`1/4 mining ${MINING.numNegatives} hard negatives per query of ${rel(data)} (drawn from the ${MINING.rangeMax} best): ${MINING.firstStage} first stage with ${rel(model)}, scored by ${rel(crossEncoder)}`);
  const mined = await mineCommand({
    model, data, output: minedFile, crossEncoder, firstStage: MINING.firstStage, rangeMax: MINING.rangeMax, numNegatives: MINING.numNegatives,
    samplingStrategy: MINING.samplingStrategy, seed: MINING.seed, rangeMin: 0, queryColumn: 'query', positiveColumn: 'positive', outputFormat: 'grouped', batchSize: 64,
  });
  console.log(`    ${mined.rows_written} rows, ${mined.pairs_scored} pairs scored by the cross-encoder -> ${rel(minedFile)}`);

  console.log(`2/4 evaluating ${rel(model)} on ${rel(evalData)}`);
  const before = await evalCommand({ model, data: evalData, split: 'test', batchSize: 64 });
  console.log(`    ndcg@10 ${before['ndcg@10'].toFixed(4)}`);

  console.log(`3/4 training with ${rel(RECIPE)} (${recipe.loss.name}, batch ${recipe.train.batch_size}, ${recipe.train.max_steps} steps)`);
  const run = await train(recipe, { overwriteOutputDir: true });

  console.log(`4/4 evaluating ${run.finalDir}`);
  const after = await evalCommand({ model: run.finalDir, data: evalData, split: 'test', batchSize: 64 });
  console.log(`    ndcg@10 ${after['ndcg@10'].toFixed(4)}`);

  console.log('\nsummary');
  console.log(`  mined:           ${mined.rows_written} (query, positive) rows with up to ${MINING.numNegatives} negatives and cross-encoder scores, in ${mined.seconds.total.toFixed(0)} s -> ${minedFile}`);
  console.log(`  ndcg@10 on the held-out set: ${before['ndcg@10'].toFixed(4)} before -> ${after['ndcg@10'].toFixed(4)} after MarginMSE distillation (${run.steps} steps)`);
  console.log(`  trained model:   ${run.finalDir}`);
  console.log(`  metrics, report: ${path.join(outputDir, 'metrics.jsonl')}, ${path.join(outputDir, 'report.html')}`);
  console.log(`  took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return { mined, before: before['ndcg@10'], after: after['ndcg@10'], steps: run.steps };
}
