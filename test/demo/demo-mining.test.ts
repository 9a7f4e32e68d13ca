// The mining demo (`densetrain demo --mining`, src/cli/demo-mining.ts): the chain mine -> MarginMSE
// distillation -> evaluation on a slice of the demo data, writing only into its output folder,
// and refusing a folder holding files it did not write.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DEMO_MARKER } from '../../src/cli/demo.js';
import { MINED_FILE, MINING, miningDemoRecipe, runMiningDemo } from '../../src/cli/demo-mining.js';
import { main } from '../../src/cli/main.js';
import { loadCrossEncoder } from '../../src/graphs/cross-encoder.js';
import { sidecarPath } from '../../src/mine/output.js';
import { RUN_ENTRIES } from '../../src/train/output-dir.js';
import { loadRecipe } from '../../src/train/recipe.js';

const ROOT = path.resolve(new URL('../../', import.meta.url).pathname);
const RECIPE = path.join(ROOT, 'recipes/demo-mined-distillation.yaml');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-demo-mining-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const readJsonl = (f: string) => fs.readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

describe('densetrain demo --mining', () => {
  it('mines a slice of the demo data with cross-encoder scores, trains MarginMSE on it and evaluates before and after, all inside its folder', async () => {
    const data = path.join(tmp, 'slice.jsonl');
    const lines = fs.readFileSync(path.join(ROOT, 'data/demo/train.jsonl'), 'utf8').split('\n').slice(0, 64);
    fs.writeFileSync(data, lines.join('\n') + '\n');
    const out = path.join(tmp, 'run');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    let r;
    try {
      r = await runMiningDemo(out, { data, maxSteps: 3 });
    } finally {
      log.mockRestore();
    }
    expect(r.mined.scored_by).toBe('cross-encoder');
    expect(r.mined.queries).toBe(64);
    const rows = readJsonl(path.join(out, MINED_FILE));
    expect(rows.length).toBe(r.mined.rows_written);
    expect(rows.length).toBeGreaterThan(60);
    for (const row of rows) {
      expect(row.positive_score).toBeGreaterThan(0);
      expect(row.positive_score).toBeLessThan(1);
      expect(row.negatives).toHaveLength(MINING.numNegatives);
      // The cross-encoder's sigmoid scores, ranked best first (also when drawn at random).
      const scores = row.negatives.map((n: { cross_encoder_score: number }) => n.cross_encoder_score);
      for (const x of scores) expect(x > 0 && x < 1, String(x)).toBe(true);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    }

    // ... and they are the demo cross-encoder's, not the bi-encoder's cosine.
    const ce = await loadCrossEncoder(path.join(ROOT, 'models/demo-cross-encoder'));
    const { scores } = await ce.predict([[rows[0].query, rows[0].positive], [rows[0].query, rows[0].negatives[0].document]]);
    await ce.release();
    expect(Math.abs(scores[0] - rows[0].positive_score)).toBeLessThan(1e-6);
    expect(Math.abs(scores[1] - rows[0].negatives[0].cross_encoder_score)).toBeLessThan(1e-6);

    expect(r.steps).toBe(3);
    const steps = readJsonl(path.join(out, 'metrics.jsonl')).filter((m) => typeof m.loss === 'number');
    expect(steps.map((m) => m.step)).toEqual([1, 2, 3]);
    expect(fs.existsSync(path.join(out, 'final', 'model.safetensors'))).toBe(true);
    expect(Number.isFinite(r.before) && Number.isFinite(r.after)).toBe(true);
    expect(fs.existsSync(path.join(out, DEMO_MARKER))).toBe(true);
    // Nothing but the demo's: the mined file and its record, the run's entries and run record, the marker.
    const own = new Set([MINED_FILE, path.basename(sidecarPath(MINED_FILE)), DEMO_MARKER, ...RUN_ENTRIES]);
    expect(fs.readdirSync(out).filter((f) => !own.has(f) && !/^(recipe\.resolved|environment)/.test(f))).toEqual([]);
  }, 300_000);

  it('refuses an --output holding a mined file it did not write, through the command line, and leaves the file as it was', async () => {
    const out = path.join(tmp, 'someone-elses');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, MINED_FILE), '{"query":"mine"}\n');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await expect(main(['demo', '--mining', '--output', out])).rejects.toThrow(`--output ${out} holds files the demo did not write (${MINED_FILE}); choose another --output`);
    } finally {
      log.mockRestore();
    }
    expect(fs.readFileSync(path.join(out, MINED_FILE), 'utf8')).toBe('{"query":"mine"}\n');
    expect(fs.existsSync(path.join(out, DEMO_MARKER))).toBe(false);
  });

  it("the recipe's mine command is the chain's, and writes the file the recipe trains on; the demo's recipe points into the package", () => {
    const line = fs.readFileSync(RECIPE, 'utf8').split('\n').find((l) => l.includes('npx densetrain mine '))!;
    const argv = line.replace(/^#\s*npx densetrain /, '').trim().split(/\s+/);
    const flag = (name: string) => argv[argv.indexOf(`--${name}`) + 1];
    expect(flag('output')).toBe(loadRecipe(RECIPE).data.train[0]);
    expect([flag('first-stage'), Number(flag('range-max')), Number(flag('num-negatives')), flag('sampling-strategy'), Number(flag('seed'))])
      .toEqual([MINING.firstStage, MINING.rangeMax, MINING.numNegatives, MINING.samplingStrategy, MINING.seed]);
    expect(flag('cross-encoder')).toBe('models/demo-cross-encoder');

    const r = miningDemoRecipe('/tmp/somewhere', '/tmp/somewhere/mined.jsonl', 7);
    expect(r.loss.name).toBe('margin_mse');
    expect(r.train.max_steps).toBe(7);
    expect(r.data.train).toEqual(['/tmp/somewhere/mined.jsonl']);
    for (const p of [r.model.path, r.eval!.data]) expect(p.startsWith(ROOT) && fs.existsSync(p), p).toBe(true);
  });
});
