// The demo runs from an installed package too: its recipe finds the model and data in the
// package, not in the working directory.
import fs from 'node:fs';
import os from 'node:os';
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

it('the demo refuses a --output holding a run it did not write, and leaves that run as it was', async () => {
  const { runDemo, DEMO_MARKER } = await import('../../src/cli/demo.js');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-demo-out-'));
  try {
    fs.writeFileSync(path.join(out, 'metrics.jsonl'), '{"step":1}\n');
    fs.mkdirSync(path.join(out, 'final'));
    await expect(runDemo(out)).rejects.toThrow(`--output ${out} holds a training run the demo did not write (metrics.jsonl, final); choose another --output`);
    expect(fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')).toBe('{"step":1}\n');
    expect(fs.existsSync(path.join(out, 'final'))).toBe(true);
    expect(fs.existsSync(path.join(out, DEMO_MARKER))).toBe(false);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
