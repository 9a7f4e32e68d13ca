// splitBackward: the forward graph (keeping the activations the backward reads) followed by the
// backward graph computes what the combined forward + backward graph computes, on every
// architecture, in training mode with dropout masks.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { dropoutSites } from '../../src/graphs/encoder-graph.js';
import { dropoutMasks } from '../../src/graphs/training/dropout-masks.js';
import { buildEncoderVjpGraph, feedableEncoderGraph, WORD_ROWS_GRAD } from '../../src/graphs/training/encoder-vjp.js';
import { hasTokenTypeInput } from '../../src/model/config.js';
import { readModelFolder } from '../../src/model/folder.js';
import { toInOutLayout } from '../../src/model/in-out-layout.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';
import { encodeOnnxModel } from '../../src/onnx/onnx-file.js';
import { elementTypes, splitBackward } from '../../src/onnx/split-backward.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;

describe('splitBackward', () => {
  for (const name of ['tiny-bert', 'tiny-xlmr', 'tiny-mpnet', 'tiny-distilbert', 'tiny-modernbert']) {
    it(`${name}: forward (saving activations) then backward = the combined graph, every gradient within 1e-5 (relative where above 1)`, async () => {
      const folder = readModelFolder(`${FIX}${name}`);
      const forward = feedableEncoderGraph(folder, { dropout: true });
      const combined = buildEncoderVjpGraph(folder, { dropout: true });
      const split = splitBackward(forward.graph, combined.graph);
      expect(split.saved.length).toBeGreaterThan(0);
      // The backward graph recomputes only cheap forward nodes: no MatMul, Softmax or LayerNormalization.
      const forwardNames = new Set(forward.graph.nodes.map((n) => n.name));
      const again = split.backward.nodes.filter((n) => forwardNames.has(n.name));
      expect(again.length).toBe(split.recomputed);
      expect(again.filter((n) => ['MatMul', 'Softmax', 'LayerNormalization'].includes(n.opType!))).toEqual([]);

      const tok = loadTokenizer(folder.dir, folder.maxSeqLength);
      const enc = tok.encodeBatch(['how do I reset my password', 'la factura de este mes', 'wo finde ich meine Bestellung?']);
      const ids = (a: Int32Array) => new ort.Tensor('int64', BigInt64Array.from(a, BigInt), [enc.batchSize, enc.seqLen]);
      const feeds: Record<string, ort.Tensor> = { input_ids: ids(enc.inputIds), attention_mask: ids(enc.attentionMask) };
      if (hasTokenTypeInput(folder.config)) feeds.token_type_ids = ids(enc.tokenTypeIds);
      for (const p of forward.params) {
        const t = toInOutLayout(p.name, folder.weights.get(p.name)!);
        feeds[p.name] = new ort.Tensor('float32', Float32Array.from(t.data.subarray(0, p.dims.reduce((a, b) => a * b, 1))), p.dims);
      }
      for (const [site, m] of dropoutMasks(dropoutSites(folder.config), { step: { seed: 11, step: 0, micro: 0 }, column: 1, firstRow: 0 }, enc.batchSize, enc.seqLen)) feeds[site] = new ort.Tensor('float32', Float32Array.from(m.data), m.shape);
      const H = folder.config.hiddenSize;
      const seed = Float32Array.from({ length: enc.batchSize * H }, (_, i) => Math.sin(i + 1));
      const dEmb = new ort.Tensor('float32', seed, [enc.batchSize, H]);

      const open = (g: typeof forward.graph) => ort.InferenceSession.create(encodeOnnxModel(g, name), { intraOpNumThreads: 1 });
      const whole = await (await open(combined.graph)).run({ ...feeds, d_sentence_embedding: dEmb });
      const fwdSession = await open(split.forward);
      const fwdInputs = new Set(split.forward.inputs.map((v) => v.name!));
      const saved = await fwdSession.run(Object.fromEntries(Object.entries(feeds).filter(([k]) => fwdInputs.has(k))));
      const bwdFeeds: Record<string, ort.Tensor> = { ...feeds, d_sentence_embedding: dEmb };
      for (const y of split.saved) bwdFeeds[y] = saved[y];
      const bwdInputs = new Set(split.backward.inputs.map((v) => v.name!));
      const parts = await (await open(split.backward)).run(Object.fromEntries(Object.entries(bwdFeeds).filter(([k]) => bwdInputs.has(k))));

      const names = [...combined.graph.outputs.map((o) => o.name!)];
      expect(names).toContain(WORD_ROWS_GRAD);
      for (const out of names) {
        const a = whole[out].data as Float32Array, b = parts[out].data as Float32Array;
        expect(b.length, out).toBe(a.length);
        // The two sessions fuse kernels differently (onnxruntime's optimizer sees other graphs): float32 rounding.
        let worst = 0, scale = 0;
        for (let i = 0; i < a.length; i++) {
          worst = Math.max(worst, Math.abs(a[i] - b[i]));
          scale = Math.max(scale, Math.abs(a[i]));
        }
        if (process.env.SPLIT_DEBUG) console.log(name, out, worst, scale);
        expect(worst / Math.max(scale, 1), out).toBeLessThanOrEqual(1e-5);
      }
    });
  }

  it('elementTypes: ints from Shape, booleans from comparisons, Cast by its attribute', () => {
    const folder = readModelFolder(`${FIX}tiny-bert`);
    const g = feedableEncoderGraph(folder).graph;
    const types = elementTypes(g);
    const of = (op: string) => g.nodes.filter((n) => n.opType === op).map((n) => types.get(n.output![0]));
    expect(new Set(of('MatMul'))).toEqual(new Set(['float']));
    for (const t of of('Shape')) expect(t).toBe('int64');
    for (const t of of('Equal')) expect(t).toBe('bool');
  });
});
