// The built-in check: when onnxruntime and the tfjs encoder disagree by more than 1e-4, or the tfjs
// encoder cannot run, the export fails with a message that says so and writes nothing. A mock of
// model.ts (this file only) shifts the tfjs sentence embeddings by a known 3e-4, or makes loading
// fail as the wasm backend does when a model does not fit its heap.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { initBackend } from '../../src/tfjs/backend.js';
import { exportOnnx } from '../../src/export/export.js';

const SHIFT = 3e-4;
const mock = vi.hoisted(() => ({ mode: 'shift' as 'shift' | 'abort' }));

vi.mock('../../src/tfjs/model.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/tfjs/model.js')>();
  return {
    ...real,
    modelFromFolder: (...args: Parameters<typeof real.modelFromFolder>) => {
      if (mock.mode === 'abort') throw new Error('Aborted(). Build with -sASSERTIONS for more info.');
      const m = real.modelFromFolder(...args);
      return { ...m, embed: (...a: Parameters<typeof m.embed>) => tf.add(m.embed(...a), SHIFT) };
    },
  };
});

const FIX = new URL('../fixtures/', import.meta.url).pathname;
let tmp: string;
beforeAll(async () => {
  await initBackend('wasm');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-parity-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

it('a difference over 1e-4: fails with the measured difference, leaves no output and no staging folder', async () => {
  mock.mode = 'shift';
  const err = await exportOnnx(`${FIX}tiny-bert`, path.join(tmp, 'out')).then(() => undefined, (e: Error) => e);
  expect(err?.message).toMatch(/the exported ONNX model differs from the tfjs encoder by up to 3\.0\de-4 \(tolerance 0\.0001\); nothing was written to/);
  expect(fs.readdirSync(tmp)).toEqual([]);
});

it('a tfjs encoder that cannot run: says which backend and what to use instead', async () => {
  mock.mode = 'abort';
  await expect(exportOnnx(`${FIX}tiny-bert`, path.join(tmp, 'out'))).rejects.toThrow(
    `${FIX}tiny-bert: the tfjs encoder could not run the check on the wasm backend (Aborted(). Build with -sASSERTIONS for more info.); a native backend (--backend tensorflow, with @tensorflow/tfjs-node installed) has no such memory limit`,
  );
  expect(fs.readdirSync(tmp)).toEqual([]);
});
