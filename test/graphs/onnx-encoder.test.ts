// loadOnnxModel builds the encoder graph in memory from the folder's weights: an onnx/model.onnx
// beside them (stale, from other weights, or corrupt) is never read.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExportedOnnx, loadOnnxModel } from '../../src/graphs/onnx-encoder.js';
import { buildEncoderGraph } from '../../src/graphs/encoder-graph.js';
import { writeOnnxModel } from '../../src/onnx/onnx-file.js';
import { readModelFolder } from '../../src/model/folder.js';
import { maxAbsDiff } from '../helpers/reference-encoder.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const TOL = 1e-5;
const expected = (name: string) => JSON.parse(fs.readFileSync(`${FIX}${name}.expected.json`, 'utf8'));
let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-onnx-mem-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A copy of a fixture folder with an onnx/model.onnx built from other weights (embeddings scaled). */
function withStaleOnnx(name: string): string {
  const dir = path.join(tmp, `${name}-stale`);
  fs.cpSync(`${FIX}${name}`, dir, { recursive: true });
  const other = readModelFolder(dir);
  const t = other.weights.get('embeddings.word_embeddings.weight')!;
  other.weights.set('embeddings.word_embeddings.weight', { shape: t.shape, data: t.data.map((v) => v * 1.5) });
  fs.mkdirSync(path.join(dir, 'onnx'));
  writeOnnxModel(buildEncoderGraph(other, { opset: 17 }), path.join(dir, 'onnx', 'model.onnx'));
  return dir;
}

describe('loadOnnxModel: in-memory graph from the folder weights', () => {
  for (const name of ['tiny-bert', 'tiny-xlmr', 'tiny-distilbert', 'tiny-roberta', 'tiny-mpnet']) {
    it(`${name}: a stale onnx/model.onnx is ignored; embeddings follow model.safetensors within ${TOL}`, async () => {
      const { texts, embeddings } = expected(name);
      const dir = withStaleOnnx(name);
      const stale = await loadExportedOnnx(dir);
      expect(maxAbsDiff(await stale.encode(texts), embeddings)).toBeGreaterThan(1e-2); // the file really is stale
      await stale.release();
      const m = await loadOnnxModel(dir);
      for (const batchSize of [16, 3]) expect(maxAbsDiff(await m.encode(texts, { batchSize }), embeddings)).toBeLessThan(TOL);
      await m.release();
    });
  }

  it('needs no export at all, and a corrupt onnx/model.onnx does not matter', async () => {
    const { texts, embeddings } = expected('tiny-bert');
    const plain = await loadOnnxModel(`${FIX}tiny-bert`);
    expect(maxAbsDiff(await plain.encodeAs('query', texts.slice(0, 4)), await plain.encode(texts.slice(0, 4), { promptName: 'query' }))).toBe(0);
    expect(maxAbsDiff(await plain.encode(texts), embeddings)).toBeLessThan(TOL);
    await plain.release();
    const dir = path.join(tmp, 'corrupt');
    fs.cpSync(`${FIX}tiny-bert`, dir, { recursive: true });
    fs.mkdirSync(path.join(dir, 'onnx'));
    fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), 'not protobuf');
    const m = await loadOnnxModel(dir);
    expect(maxAbsDiff(await m.encode(texts), embeddings)).toBeLessThan(TOL);
    await m.release();
  });

  it('a folder without weights: the error names the file', async () => {
    const dir = path.join(tmp, 'no-weights');
    fs.cpSync(`${FIX}tiny-bert`, dir, { recursive: true });
    fs.rmSync(path.join(dir, 'model.safetensors'));
    await expect(loadOnnxModel(dir)).rejects.toThrow(`${dir}: no model.safetensors (nor model.safetensors.index.json); densetrain reads safetensors weights only`);
  });
});
