import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { checkData } from '../../src/cli/check-data.js';
import { main } from '../../src/cli/main.js';
import { loadRecipe } from '../../src/train/recipe.js';
import { readJsonl, tempDir } from './helpers.js';

const RECIPE = 'recipes/demo-mined-hard-negatives.yaml';

/** The `npx densetrain mine ...` line of a recipe's comment block, as argv. */
function mineCommand(recipe: string): string[] {
  const line = fs.readFileSync(recipe, 'utf8').split('\n').find((l) => l.includes('npx densetrain mine '));
  if (!line) throw new Error(`${recipe}: no mine command in its comments`);
  return line.replace(/^#\s*npx densetrain /, '').trim().split(/\s+/);
}

describe('the demo mining chain', () => {
  const dir = tempDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it(`the mine command of ${RECIPE} writes the file the recipe trains on`, async () => {
    const argv = mineCommand(RECIPE);
    const recipe = loadRecipe(RECIPE);
    // the command writes what the recipe reads
    expect(argv[argv.indexOf('--output') + 1]).toBe(recipe.data.train[0]);
    const output = path.join(dir, 'hard-negatives.jsonl');
    argv[argv.indexOf('--output') + 1] = output;
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await main(argv);
    } finally {
      log.mockRestore();
    }
    const rows = readJsonl(output);
    const queries = fs.readFileSync('data/demo/train.jsonl', 'utf8').split('\n').filter(Boolean).length;
    // hybrid search finds 8 negatives for nearly every query
    expect(rows.length).toBeGreaterThan(0.95 * queries);
    expect(rows.filter((r) => (r.negatives as unknown[]).length === 8).length).toBeGreaterThan(0.9 * rows.length);
    const summary = await checkData(loadRecipe(RECIPE, { 'data.train': output, 'train.output_dir': path.join(dir, 'run') }));
    expect(summary.records).toBe(rows.length);
    expect(summary.skipped).toBe(0);
  });
});
