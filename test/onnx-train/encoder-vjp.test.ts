// The differentiated encoder graph under onnxruntime against sentence-transformers / PyTorch:
// MNRL and MarginMSE losses (1e-4 relative) and first-step gradients (test/fixtures/*.grads.safetensors), with
// reference.test.ts's rule: relative L2 error <= 1e-4 per tensor, or both norms below 1e-6 of the
// global norm for the mathematically zero ones (attention key biases).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEncoderVjpGraph, WORD_EMBEDDINGS, WORD_ROWS_GRAD } from '../../src/graphs/training/encoder-vjp.js';
import { embeddingLossAndGradients } from '../../src/graphs/training/embedding-loss.js';
import { buildEncoderGraph } from '../../src/graphs/encoder-graph.js';
import { writeOnnxModel } from '../../src/onnx/onnx-file.js';
import { hasTokenTypeInput } from '../../src/model/config.js';
import { readModelFolder } from '../../src/model/folder.js';
import { mapToInOutLayout, toInOutLayout } from '../../src/model/in-out-layout.js';
import { readSafetensors } from '../../src/model/safetensors.js';
import { loadTokenizer, type TokenBatch } from '../../src/model/tokenizer.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'encoder-vjp-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function feeds(b: TokenBatch, withTypes: boolean): Record<string, ort.Tensor> {
  const t = (a: Int32Array) => new ort.Tensor('int64', BigInt64Array.from(a, BigInt), [b.batchSize, b.seqLen]);
  const f: Record<string, ort.Tensor> = { input_ids: t(b.inputIds), attention_mask: t(b.attentionMask) };
  if (withTypes) f.token_type_ids = t(b.tokenTypeIds);
  return f;
}

for (const name of ['tiny-bert', 'tiny-xlmr', 'tiny-distilbert', 'tiny-roberta', 'tiny-mpnet']) {
  describe(`${name} encoder VJP graph`, () => {
    it('MNRL and MarginMSE losses and first-step gradients match PyTorch', async () => {
      const exp = JSON.parse(fs.readFileSync(`${FIX}${name}.expected.json`, 'utf8'));
      const folder = readModelFolder(`${FIX}${name}`);
      const tok = loadTokenizer(folder.dir, folder.maxSeqLength);
      const bert = hasTokenTypeInput(folder.config);
      const fwdFile = path.join(dir, `${name}.onnx`), bwdFile = path.join(dir, `${name}-vjp.onnx`);
      writeOnnxModel(buildEncoderGraph(folder, { opset: 18 }), fwdFile);
      const { params } = (() => {
        const v = buildEncoderVjpGraph(folder);
        writeOnnxModel(v.graph, bwdFile);
        return v;
      })();
      const fwd = await ort.InferenceSession.create(fwdFile);
      const bwd = await ort.InferenceSession.create(bwdFile);
      // The VJP graph takes every weight as a fed input (the in-out layout: Linear [in, out]).
      const weights = Object.fromEntries(params.map((p) => {
        const t = toInOutLayout(p.name, folder.weights.get(p.name)!);
        return [p.name, new ort.Tensor('float32', Float32Array.from(t.data.subarray(0, p.dims.reduce((a, b) => a * b, 1))), p.dims)];
      }));

      const groups = [exp.batch.query, exp.batch.positive, exp.batch.negative].map((texts: string[]) => tok.encodeBatch(texts));
      const embs = await Promise.all(groups.map(async (b) => (await fwd.run(feeds(b, bert))).sentence_embedding.data as Float32Array));
      const H = folder.config.hiddenSize;
      const cfg = { name: 'mnrl', scale: 20, symmetric: false, mini_batch_size: 32 } as const;
      const margins = Float32Array.from(exp.batch.teacher_margin);
      const mse = await embeddingLossAndGradients({ ...cfg, name: 'margin_mse' }, { hidden: H, columns: embs }, margins);
      expect(Math.abs(mse.loss - exp.margin_mse_loss) / exp.margin_mse_loss).toBeLessThan(1e-4);
      const { loss, grads: seeds } = await embeddingLossAndGradients(cfg, { hidden: H, columns: embs });
      expect(Math.abs(loss - exp.mnrl_loss) / exp.mnrl_loss).toBeLessThan(1e-4);

      const grads = new Map<string, Float64Array>();
      for (let k = 0; k < 3; k++) {
        const d = new ort.Tensor('float32', Float32Array.from(seeds[k]), [groups[k].batchSize, H]);
        const out = await bwd.run({ ...feeds(groups[k], bert), ...weights, d_sentence_embedding: d });
        for (const p of params) {
          const size = p.dims.reduce((a, b) => a * b, 1);
          const acc = grads.get(p.name) ?? new Float64Array(size);
          if (p.name === WORD_EMBEDDINGS) {
            // Given as the looked-up rows' gradients: add each at its token id.
            const rows = out[WORD_ROWS_GRAD].data as Float32Array;
            groups[k].inputIds.forEach((id, t) => { for (let h = 0; h < H; h++) acc[id * H + h] += rows[t * H + h]; });
          } else (out[`d_${p.name}`].data as Float32Array).forEach((v, i) => (acc[i] += v));
          grads.set(p.name, acc);
        }
      }

      // The graph's gradients are in the fed layout (Linear [in, out]); the references in PyTorch's.
      const ref = mapToInOutLayout(readSafetensors(`${FIX}${name}.grads.safetensors`));
      expect([...grads.keys()].sort()).toEqual([...ref.keys()].filter((k) => !k.startsWith('pooler')).sort());
      const globalNorm = Math.sqrt([...grads.values()].reduce((s, g) => s + g.reduce((t, v) => t + v * v, 0), 0));
      expect(Math.abs(globalNorm - exp.grad_norms[0]) / exp.grad_norms[0]).toBeLessThan(1e-4);
      for (const [pname, got] of grads) {
        const r = ref.get(pname)!;
        let num = 0, den = 0, own = 0;
        r.data.forEach((v, i) => { num += (got[i] - v) ** 2; den += v * v; own += got[i] ** 2; });
        if (Math.sqrt(den) < 1e-6 * exp.grad_norms[0]) expect(Math.sqrt(own), pname).toBeLessThan(1e-6 * exp.grad_norms[0]);
        else expect(Math.sqrt(num / den), pname).toBeLessThan(1e-4);
      }
    });
  });
}
