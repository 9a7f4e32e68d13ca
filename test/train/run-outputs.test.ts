// What a training run leaves around its model, end to end on tiny-bert (onnx engine): the run
// record, TensorBoard event files with the same numbers as metrics.jsonl, and model cards in
// checkpoints and final/ whose front matter (parsed with the yaml package) carries the run's
// evaluation, kept through export, whose folder transformers.js loads as the card says.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { env, pipeline } from '@huggingface/transformers';
import { initBackend } from '../../src/tfjs/backend.js';
import { exportOnnx } from '../../src/export/export.js';
import { loadModel } from '../../src/tfjs/model.js';
import { readModelFolder } from '../../src/model/folder.js';
import { loadRecipe } from '../../src/train/recipe.js';
import { type MetricsRow, train } from '../../src/train/trainer.js';
import { removeBeirDirs, writeBeir } from '../eval/beir-fixture.js';
import { readEvents } from '../helpers/tfevents.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-runout-'));
afterAll(() => {
  removeBeirDirs();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const front = (file: string) => YAML.parse(/^---\n([\s\S]*?)\n---\n/.exec(fs.readFileSync(file, 'utf8'))![1]);

let out: string;
let rows: MetricsRow[];
let recipeFile: string;
beforeAll(async () => {
  await initBackend('wasm');
  const exp = JSON.parse(fs.readFileSync(`${FIX}tiny-bert.expected.json`, 'utf8'));
  const data = path.join(tmp, 'train.jsonl');
  fs.writeFileSync(data, exp.batch.query.map((q: string, i: number) =>
    JSON.stringify({ query: q, positive: exp.batch.positive[i], negatives: [exp.batch.negative[i]], language: i % 4 === 0 ? 'de' : 'en' })).join('\n') + '\n');
  const beir = writeBeir({
    corpus: exp.batch.positive.map((p: string, i: number) => ({ _id: `d${i}`, text: p })),
    queries: exp.batch.query.map((q: string, i: number) => ({ _id: `q${i}`, text: q })),
    qrels: { test: exp.batch.query.map((_: string, i: number) => [`q${i}`, `d${i}`, 1]) },
  });
  out = path.join(tmp, 'run');
  const recipe = (recipeFile = path.join(tmp, 'recipe.yaml'));
  fs.writeFileSync(recipe, [
    `model: {path: ${FIX}tiny-bert}`,
    `data: {train: [${data}], tokenize_workers: 1, shuffle: false}`,
    'loss: {name: mnrl}',
    `train: {batch_size: 4, max_steps: 3, save_every: 2, engine: onnx, output_dir: ${out}, report_to: [tensorboard]}`,
    `eval: {data: ${beir}, every: 2}`,
  ].join('\n'));
  await train(loadRecipe(recipe, { 'train.lr': '1e-3' }), { log: () => {} });
  rows = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}, 120_000);

describe('a training run', () => {
  it('keeps the resolved recipe and the environment', () => {
    const resolved = YAML.parse(fs.readFileSync(path.join(out, 'recipe.resolved.yaml'), 'utf8'));
    expect(resolved.train.lr).toBe(1e-3); // the command-line override
    expect(resolved.train.weight_decay).toBe(0.01); // a default
    const env = JSON.parse(fs.readFileSync(path.join(out, 'environment.json'), 'utf8'));
    expect(env.engine.name).toBe('onnx');
    expect(env.engine.execution_provider).toBe('cpu');
    expect(env.engine.threads).toBeGreaterThan(0);
  });

  it('writes TensorBoard events with the numbers of metrics.jsonl, the step-0 evaluation included', () => {
    const files = fs.readdirSync(path.join(out, 'runs'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^events\.out\.tfevents\.\d+\./);
    const events = readEvents(path.join(out, 'runs', files[0]));
    expect(events[0].fileVersion).toBe('brain.Event:2');
    const scalars = events.slice(1).map((e) => ({ step: e.step ?? 0, values: Object.fromEntries(e.summary!.value.map((v) => [v.tag, v.simpleValue])) }));
    expect(scalars.map((s) => s.step)).toEqual([0, 1, 2, 3]);
    expect(Object.keys(scalars[0].values).every((k) => k.startsWith('eval/'))).toBe(true);
    expect(scalars[0].values['eval/precision@1']).toBeTypeOf('number');
    expect(rows.map((r) => r.step)).toEqual([1, 2, 3]);
    for (const [i, row] of rows.entries()) {
      const got = scalars[i + 1].values;
      for (const k of ['loss', 'lr', 'grad_norm', 'triples_per_s', 'epoch'] as const) expect(got[`train/${k}`], `step ${row.step} ${k}`).toBe(Math.fround(row[k]));
      const evalKeys = Object.keys(row).filter((k) => k.startsWith('eval_'));
      expect(evalKeys.length, `step ${row.step}`).toBe(row.step === 1 ? 0 : 11); // eval at step 2 (every) and 3 (the last)
      for (const k of evalKeys) expect(got[`eval/${k.slice(5)}`], k).toBe(Math.fround(row[k]));
    }
  });

  it('gives checkpoints and final/ a model card with the latest evaluation, and final/ still loads', () => {
    const ckpt = front(path.join(out, 'checkpoints', 'step-2', 'README.md'));
    const fin = front(path.join(out, 'final', 'README.md'));
    for (const [card, step] of [[ckpt, 2], [fin, 3]] as const) {
      expect(card.library_name).toBe('sentence-transformers');
      expect(card.language).toEqual(['en', 'de']);
      expect(card.datasets).toEqual(['train.jsonl']);
      expect(card.tags).toContain('loss:MultipleNegativesRankingLoss');
      const row = rows.find((r) => r.step === step)!;
      const metrics = card['model-index'][0].results[0].metrics as { type: string; value: number }[];
      expect(metrics.map((m) => m.type)).toContain('cosine_precision@1');
      for (const m of metrics) expect(m.value, `${m.type} at step ${step}`).toBe(row[`eval_${m.type.replace(/^cosine_/, '')}`]);
    }
    expect(fs.readFileSync(path.join(out, 'final', 'README.md'), 'utf8')).toContain('- Steps: 3 of 3');
    expect(readModelFolder(path.join(out, 'final')).pooling).toBe('mean');
  });

  it('keeps the card through export, and the exported folder works as the card says in transformers.js', async () => {
    const exported = path.join(tmp, 'exported');
    await exportOnnx(path.join(out, 'final'), exported);
    const card = fs.readFileSync(path.join(exported, 'README.md'), 'utf8');
    expect(card).toBe(fs.readFileSync(path.join(out, 'final', 'README.md'), 'utf8'));
    // The card's transformers.js snippet, as written there.
    expect(card).toContain("{ pooling: 'mean', normalize: true }");
    env.allowRemoteModels = false;
    env.localModelPath = tmp;
    const extractor = await pipeline('feature-extraction', 'exported', { dtype: 'fp32', local_files_only: true });
    const texts = ['how do I cancel my order?', 'shipping takes three days'];
    const got = (await extractor(texts, { pooling: 'mean', normalize: true })).tolist() as number[][];
    await extractor.dispose();
    const ours = await loadModel(path.join(out, 'final'));
    const want = await ours.encode(texts);
    ours.dispose();
    let worst = 0;
    got.forEach((row, i) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - want[i][j])))));
    expect(worst).toBeLessThan(1e-5);
  }, 60_000);

  it('a resumed launch adds its own run record and event file, and keeps the first ones', async () => {
    const firstRecipe = fs.readFileSync(path.join(out, 'recipe.resolved.yaml'), 'utf8');
    const firstEvents = fs.readdirSync(path.join(out, 'runs'));
    await train(loadRecipe(recipeFile, { 'train.lr': '1e-3', 'train.resume': 'latest', 'train.max_steps': '4' }), { log: () => {} });
    expect(fs.readFileSync(path.join(out, 'recipe.resolved.yaml'), 'utf8')).toBe(firstRecipe);
    expect(YAML.parse(fs.readFileSync(path.join(out, 'recipe.resolved.resume-step-3.yaml'), 'utf8')).train.max_steps).toBe(4);
    expect(fs.existsSync(path.join(out, 'environment.resume-step-3.json'))).toBe(true);
    const files = fs.readdirSync(path.join(out, 'runs'));
    expect(files).toHaveLength(2);
    const added = files.find((f) => !firstEvents.includes(f))!;
    const steps = readEvents(path.join(out, 'runs', added)).slice(1).map((e) => e.step);
    expect(steps).toEqual([4]); // no step-0 evaluation on resume
  }, 60_000);
});
