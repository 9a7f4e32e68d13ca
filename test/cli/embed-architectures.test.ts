// `densetrain embed` on the architectures only the ONNX graph computes: the default engine (auto)
// runs them on onnx and reproduces sentence-transformers; --engine tfjs stops with the way out.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { maxAbsDiff } from '../helpers/reference-encoder.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-embed-arch-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('embed', () => {
  for (const name of ['tiny-distilbert', 'tiny-roberta', 'tiny-mpnet']) {
    it(`${name}: without --engine, sentence-transformers' embeddings (1e-5); --engine tfjs is refused with the way out`, async () => {
      const exp = JSON.parse(fs.readFileSync(`${FIX}${name}.expected.json`, 'utf8'));
      const input = path.join(tmp, `${name}.jsonl`), output = path.join(tmp, `${name}.out.jsonl`);
      fs.writeFileSync(input, exp.texts.map((text: string) => JSON.stringify({ text })).join('\n') + '\n');
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      try {
        await main(['embed', '--model', `${FIX}${name}`, '--input', input, '--output', output]);
        expect(log).toHaveBeenCalledWith('densetrain: onnxruntime-node on CPU');
        const got = fs.readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l).embedding);
        expect(maxAbsDiff(got, exp.embeddings)).toBeLessThan(1e-5);
        fs.rmSync(output);
        await expect(main(['embed', '--model', `${FIX}${name}`, '--input', input, '--output', output, '--backend', 'wasm', '--engine', 'tfjs']))
          .rejects.toThrow('embed --engine tfjs: embed runs on onnxruntime only (tfjs is a training backend: train --engine tfjs); drop --engine');
        expect(fs.existsSync(output)).toBe(false);
      } finally {
        log.mockRestore();
      }
    });
  }
});
