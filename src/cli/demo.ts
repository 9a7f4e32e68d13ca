// `npm start` / `densetrain demo`: the whole product on this machine in a few minutes, on the
// embedded data (data/demo) and default model (models/default): evaluate, train, evaluate,
// export to ONNX, check parity, summarise.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportOnnx } from '../export/export.js';
import { trainedRunEntries } from '../train/output-dir.js';
import { loadRecipe, type Recipe } from '../train/recipe.js';
import { train } from '../train/trainer.js';
import { evalCommand } from './eval.js';

/** The package root, so the demo runs from any working directory. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const RECIPE = path.join(ROOT, 'recipes', 'demo-contrastive.yaml');

/** The demo recipe with its model and data found in the package, whatever the working directory (an installed package too). */
export function demoRecipe(outputDir: string): Recipe {
  const inPackage = (p: string) => path.join(ROOT, p);
  return loadRecipe(RECIPE, {
    'train.output_dir': outputDir,
    'model.path': inPackage('models/default'),
    'data.train': JSON.stringify([inPackage('data/demo/train.jsonl')]), // a list of one path
    'eval.data': inPackage('data/demo/eval'),
  });
}

/** Marks a folder as the demo's own, so a second demo may replace the run in it and nothing else's. */
export const DEMO_MARKER = '.densetrain-demo';

/** Where `npm start` writes: demos of versions before the marker left their run there. */
export const DEFAULT_DEMO_OUTPUT = 'runs/demo';

/**
 * The demo replaces its own earlier run; a run (or one of the `own` files) it did not write is an
 * error, and nothing is removed. `legacy`: a folder that is the demo's without a marker (where
 * demos of versions before the marker wrote).
 */
export function claimOutput(outputDir: string, { legacy, own = [] }: { legacy?: string; own?: string[] } = {}): void {
  const marker = path.join(outputDir, DEMO_MARKER);
  const run = trainedRunEntries(outputDir);
  const files = own.filter((f) => fs.existsSync(path.join(outputDir, f)));
  const ours = fs.existsSync(marker) || (legacy !== undefined && path.resolve(outputDir) === path.resolve(legacy));
  if (run.length + files.length > 0 && !ours) {
    const what = run.length > 0 ? 'a training run' : 'files';
    throw new Error(`--output ${outputDir} holds ${what} the demo did not write (${[...run, ...files].join(', ')}); choose another --output`);
  }
  fs.mkdirSync(outputDir, { recursive: true });
  fs.writeFileSync(marker, 'written by densetrain demo: a second demo replaces the run in this folder\n');
}

export async function runDemo(outputDir: string): Promise<{ before: number; after: number }> {
  const recipe = demoRecipe(outputDir);
  claimOutput(outputDir, { legacy: DEFAULT_DEMO_OUTPUT });
  const evalData = recipe.eval!.data;
  const t0 = Date.now();
  console.log(`1/4 evaluating ${path.relative(process.cwd(), recipe.model.path)} on ${path.relative(process.cwd(), evalData)}`);
  const before = await evalCommand({ model: recipe.model.path, data: evalData, split: 'test', batchSize: 64 });
  console.log(`    ndcg@10 ${before['ndcg@10'].toFixed(4)}`);

  console.log(`2/4 training with ${path.relative(process.cwd(), RECIPE)} (${recipe.loss.name}, batch ${recipe.train.batch_size}, ${recipe.train.max_steps} steps)`);
  // The folder is the demo's (claimOutput): a second `npm start` replaces its run (only the run's files).
  const run = await train(recipe, { overwriteOutputDir: true });

  console.log(`3/4 evaluating ${run.finalDir}`);
  const after = await evalCommand({ model: run.finalDir, data: evalData, split: 'test', batchSize: 64 });
  console.log(`    ndcg@10 ${after['ndcg@10'].toFixed(4)}`);

  const onnxDir = path.join(outputDir, 'onnx-model');
  console.log(`4/4 exporting to ONNX in ${onnxDir}`);
  const exp = await exportOnnx(run.finalDir, onnxDir);

  console.log('\nsummary');
  console.log(`  ndcg@10 on the held-out set: ${before['ndcg@10'].toFixed(4)} before -> ${after['ndcg@10'].toFixed(4)} after training`);
  console.log(`  trained model:   ${run.finalDir}`);
  console.log(`  ONNX model:      ${exp.onnxPath} (max abs difference vs tfjs ${exp.maxAbsDiff.toExponential(2)})`);
  console.log(`  metrics, report: ${path.join(outputDir, 'metrics.jsonl')}, ${path.join(outputDir, 'report.html')}`);
  console.log(`  took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return { before: before['ndcg@10'], after: after['ndcg@10'] };
}
