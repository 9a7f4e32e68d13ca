// Static shape inference (shapes.ts), which lets autodiff leave out run-time broadcast code: the
// encoder graphs' shapes are derived as the named axes say, broadcasting follows numpy's rule and
// refuses what only run time can tell, and a gradient summed with static axes equals the one
// summed with axes found at run time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { appendBackward } from '../../src/onnx/autodiff.js';
import { feedableEncoderGraph } from '../../src/graphs/training/encoder-vjp.js';
import { broadcastShapes, inferShapes } from '../../src/onnx/shapes.js';
import { addInput, addOutput, createGraph, node } from '../../src/onnx/graph-builder.js';
import { writeOnnxModel } from '../../src/onnx/onnx-file.js';
import { readModelFolder } from '../../src/model/folder.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shapes-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('inferShapes', () => {
  for (const name of ['tiny-bert', 'tiny-xlmr']) {
    it(`${name}: every value of the training graph, outputs as the named axes say`, () => {
      const plain = readModelFolder(`${FIX}${name}`);
      const cfg = { ...plain.config, hiddenDropout: 0.1, attentionDropout: 0.1 };
      const { graph } = feedableEncoderGraph({ ...plain, config: cfg }, { dropout: true });
      const shapes = inferShapes(graph);
      expect(shapes.get('last_hidden_state')).toEqual(['batch', 'sequence', cfg.hiddenSize]);
      expect(shapes.get('sentence_embedding')).toEqual(['batch', cfg.hiddenSize]);
      const softmax = graph.nodes.find((n) => n.opType === 'Softmax')!;
      expect(shapes.get(softmax.output![0])).toEqual(['batch', cfg.numHeads, 'sequence', 'sequence']);
      // Only int64 shape bookkeeping (e.g. Shape's outputs) is left without a shape.
      const unknown = graph.nodes.filter((n) => !shapes.has(n.output![0]) && n.opType !== 'Shape');
      expect(unknown.map((n) => n.opType)).toEqual([]);
    });
  }
});

describe('broadcastShapes', () => {
  it('follows numpy: 1s stretch, equal dims stay, different symbols are unknown', () => {
    expect(broadcastShapes([['b', 1, 8], [8]])).toEqual(['b', 1, 8]);
    expect(broadcastShapes([['b', 1, 8], ['b', 'l', 1]])).toEqual(['b', 'l', 8]);
    expect(broadcastShapes([['b', 'l', 8], ['?0', 8]])).toBeUndefined();
    expect(broadcastShapes([[2, 3], [4, 3]])).toBeUndefined();
  });
});

describe('unbroadcast with static and run-time axes', () => {
  it('the gradients of y = a·b + c with a [2, 1, 4], b [2, 3, 4], c [4] are the same either way', async () => {
    const run = async (declared: boolean) => {
      const g = createGraph(18);
      const dims = (d: number[], k: string) => (declared ? d : d.map((_, i) => `${k}${i}`));
      for (const [k, d] of [['a', [2, 1, 4]], ['b', [2, 3, 4]], ['c', [4]]] as const) addInput(g, k, 'float', dims([...d], k));
      const y = node(g, 'Add', [node(g, 'Mul', ['a', 'b']), 'c']);
      addInput(g, 'dy', 'float', dims([2, 3, 4], 'y'));
      const grads = appendBackward(g, { seeds: new Map([[y, 'dy']]), wrt: ['a', 'b', 'c'] });
      g.outputs = [];
      for (const k of ['a', 'b', 'c']) {
        node(g, 'Identity', [grads.get(k)!], {}, `d_${k}`);
        addOutput(g, `d_${k}`, 'float', []);
        g.outputs.at(-1)!.type!.tensorType!.shape = undefined;
      }
      const nonZero = g.nodes.filter((n) => n.opType === 'NonZero').length;
      const file = path.join(dir, `ub-${declared}.onnx`);
      writeOnnxModel(g, file);
      const s = await ort.InferenceSession.create(file);
      const t = (n: number, shape: number[]) => new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => Math.sin(i + n)), shape);
      const out = await s.run({ a: t(8, [2, 1, 4]), b: t(24, [2, 3, 4]), c: t(4, [4]), dy: t(24, [2, 3, 4]) });
      return { nonZero, out: Object.fromEntries(['a', 'b', 'c'].map((k) => [k, { dims: out[`d_${k}`].dims, data: Array.from(out[`d_${k}`].data as Float32Array) }])) };
    };
    const fixed = await run(true), dynamic = await run(false);
    expect(fixed.nonZero).toBe(0); // axes known: no run-time shape code
    expect(dynamic.nonZero).toBeGreaterThan(0);
    expect(fixed.out.a.dims).toEqual([2, 1, 4]);
    expect(fixed.out.c.dims).toEqual([4]);
    for (const k of ['a', 'b', 'c']) {
      expect(fixed.out[k].dims, k).toEqual(dynamic.out[k].dims);
      fixed.out[k].data.forEach((v, i) => expect(v, `${k}[${i}]`).toBeCloseTo(dynamic.out[k].data[i], 6));
    }
    // And by hand: dc = Σ over the first two axes of dy.
    const dy = Array.from({ length: 24 }, (_, i) => Math.fround(Math.sin(i + 24)));
    for (let h = 0; h < 4; h++) expect(fixed.out.c.data[h]).toBeCloseTo(dy.filter((_, i) => i % 4 === h).reduce((x, v) => x + v, 0), 5);
  });
});
