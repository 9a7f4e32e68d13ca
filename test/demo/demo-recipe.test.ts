// The demo runs from an installed package too: its recipe finds the model and data in the
// package, not in the working directory.
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { demoRecipe } from '../../src/cli/demo.js';

const ROOT = new URL('../../', import.meta.url).pathname;

it('demoRecipe points at the package\'s model and data, whatever the working directory', () => {
  const r = demoRecipe('/tmp/somewhere');
  for (const p of [r.model.path, ...r.data.train, r.eval!.data]) {
    expect(path.isAbsolute(p), p).toBe(true);
    expect(p.startsWith(path.resolve(ROOT)), p).toBe(true);
    expect(fs.existsSync(p), p).toBe(true);
  }
  expect(r.train.output_dir).toBe('/tmp/somewhere');
  expect(r.train.max_steps).toBe(300); // the rest is the recipe file's
});
