// The ONNX file itself: its inputs, outputs and ops (standard domain, dynamic axes), every
// supported opset boundary, external data for large models, int8 weight quantisation.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tfjs/backend.js';
import { loadExportedOnnx } from '../../src/graphs/onnx-encoder.js';
import { exportOnnx } from '../../src/export/export.js';
import { onnx, type proto } from '../../src/onnx/graph-builder.js';
import { quantizeColumns } from '../../src/export/quantize.js';
import { maxAbsDiff } from '../helpers/reference-encoder.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const TOL = 1e-5;
const expected = (name: string) => JSON.parse(fs.readFileSync(`${FIX}${name}.expected.json`, 'utf8'));

let tmp: string;
beforeAll(async () => {
  await initBackend('wasm');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-graph-'));
  env.allowRemoteModels = false;
  env.localModelPath = tmp;
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function readModel(file: string) {
  const m = onnx.ModelProto.decode(fs.readFileSync(file));
  return { opsetImport: m.opsetImport, irVersion: m.irVersion, graph: m.graph as proto.GraphProto };
}
const dims = (v: any) => v.type.tensorType.shape.dim.map((d: any) => d.dimParam || Number(d.dimValue));

describe('graph interface', () => {
  it('BERT: int64 inputs with token_type_ids, dynamic batch and sequence axes, standard ops at opset 17', async () => {
    const out = path.join(tmp, 'bert');
    await exportOnnx(`${FIX}tiny-bert`, out);
    const m = readModel(path.join(out, 'onnx', 'model.onnx'));
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    expect(Number(m.irVersion)).toBe(8);
    const g = m.graph;
    expect(g.input.map((v) => [v.name, v.type!.tensorType!.elemType, dims(v)])).toEqual([
      ['input_ids', onnx.TensorProto.DataType.INT64, ['batch', 'sequence']],
      ['attention_mask', onnx.TensorProto.DataType.INT64, ['batch', 'sequence']],
      ['token_type_ids', onnx.TensorProto.DataType.INT64, ['batch', 'sequence']],
    ]);
    expect(g.output.map((v) => [v.name, dims(v)])).toEqual([
      ['last_hidden_state', ['batch', 'sequence', 32]],
      ['sentence_embedding', ['batch', 32]],
    ]);
    expect(new Set(g.node.map((n) => n.domain))).toEqual(new Set(['']));
  });

  it('XLM-R: no token_type_ids input', async () => {
    const out = path.join(tmp, 'xlmr');
    await exportOnnx(`${FIX}tiny-xlmr`, out);
    expect(readModel(path.join(out, 'onnx', 'model.onnx')).graph.input.map((v) => v.name)).toEqual(['input_ids', 'attention_mask']);
  });

  // 18 moves Reduce* axes to inputs (max pooling: ReduceMax; Normalize: ReduceL2); 23 is the newest.
  for (const opset of [18, 23]) {
    it(`opset ${opset}: both fixtures still match sentence-transformers`, async () => {
      for (const name of ['tiny-bert', 'tiny-xlmr']) {
        const out = path.join(tmp, `${name}-opset${opset}`);
        await exportOnnx(`${FIX}${name}`, out, { opset });
        expect(Number(readModel(path.join(out, 'onnx', 'model.onnx')).opsetImport[0].version)).toBe(opset);
        const m = await loadExportedOnnx(out);
        expect(maxAbsDiff(await m.encode(expected(name).texts), expected(name).embeddings)).toBeLessThan(TOL);
        await m.release();
      }
    });
  }
});

describe('onnx engine batching', () => {
  it('any batch size gives the same embeddings in input order', async () => {
    const out = path.join(tmp, 'batching');
    await exportOnnx(`${FIX}tiny-bert`, out);
    const m = await loadExportedOnnx(out);
    const { texts, embeddings } = expected('tiny-bert');
    for (const batchSize of [1, 3, 16]) expect(maxAbsDiff(await m.encode(texts, { batchSize }), embeddings)).toBeLessThan(TOL);
    await m.release();
  });
});

describe('external data', () => {
  it('splits tensors into chunks that onnxruntime and transformers.js both load', async () => {
    const out = path.join(tmp, 'external');
    const chunkBytes = 100_000;
    await exportOnnx(`${FIX}tiny-bert`, out, { write: { externalAbove: 0, chunkBytes } });
    const files = fs.readdirSync(path.join(out, 'onnx')).sort();
    expect(files).toEqual(['model.onnx', 'model.onnx_data', 'model.onnx_data_1']);
    for (const f of files.slice(1)) expect(fs.statSync(path.join(out, 'onnx', f)).size).toBeLessThanOrEqual(chunkBytes);
    expect(fs.statSync(path.join(out, 'onnx', 'model.onnx')).size).toBeLessThan(20_000); // weights are outside
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(cfg['transformers.js_config']).toEqual({ use_external_data_format: { 'model.onnx': 2 } });

    const { texts, embeddings } = expected('tiny-bert');
    const m = await loadExportedOnnx(out);
    expect(maxAbsDiff(await m.encode(texts), embeddings)).toBeLessThan(TOL);
    await m.release();
    const extractor = await pipeline('feature-extraction', 'external', { dtype: 'fp32', local_files_only: true });
    const got = (await extractor(texts.slice(0, 8), { pooling: 'mean', normalize: true })).tolist() as number[][];
    expect(maxAbsDiff(got, embeddings.slice(0, 8))).toBeLessThan(TOL);
    await extractor.dispose();
  });
});

describe('int8 weights', () => {
  it('per output column, symmetric, 7-bit: hand-computed', () => {
    // w [in=2, out=2] = [[1, -0.5], [0.25, 2]]: column maxima 1 and 2 -> scales 1/63, 2/63
    const { q, scales } = quantizeColumns({ shape: [2, 2], data: Float32Array.from([1, -0.5, 0.25, 2]) });
    expect(Array.from(scales)).toEqual([Math.fround(1 / 63), Math.fround(2 / 63)]);
    // 0.25·63 = 15.75 -> 16; -0.5·63/2 = -15.75 -> -16
    expect(Array.from(q)).toEqual([63, -16, 16, 63]);
  });

  it('an all-zero column quantises to zeros with a finite scale', () => {
    const { q, scales } = quantizeColumns({ shape: [2, 2], data: Float32Array.from([0, 3, 0, -3]) });
    expect(Array.from(q)).toEqual([0, 63, 0, -63]);
    expect(scales[0]).toBe(1);
  });
});
