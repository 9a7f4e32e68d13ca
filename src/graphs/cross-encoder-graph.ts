// A cross-encoder as an ONNX graph: the encoder's transformer (encoder-graph.ts), then the
// sequence-classification head of transformers, at inference (dropout off).
//   BERT:    logits = classifier(tanh(pooler.dense(h[:, 0])))
//   XLM-R:   logits = classifier.out_proj(tanh(classifier.dense(h[:, 0])))
// Output: logits [batch, 1] besides last_hidden_state.
import type { CrossEncoderFolder } from '../model/cross-encoder-folder.js';
import { buildTransformerGraph, floatLinear } from './encoder-graph.js';
import { addOutput, constInt64, type Graph, node } from '../onnx/graph-builder.js';

const HEAD_LAYERS = {
  bert: ['pooler.dense', 'classifier'],
  roberta: ['classifier.dense', 'classifier.out_proj'],
} as const;

export function buildCrossEncoderGraph(ce: CrossEncoderFolder, opts: { opset: number }): Graph {
  const { g, hidden, weight } = buildTransformerGraph(ce.encoder, opts);
  // PyTorch Linear weights are [out, in]; the graph multiplies x·W with W [in, out].
  const dense = (x: string, name: string) => {
    const w = weight(`${name}.weight`);
    const [out, inp] = w.shape;
    const t = new Float32Array(w.data.length);
    for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) t[i * out + o] = w.data[o * inp + i];
    return floatLinear(g, x, name, { shape: [inp, out], data: t }, weight(`${name}.bias`));
  };
  const [first, last] = HEAD_LAYERS[ce.head];
  const rows = weight(`${last}.weight`).shape[0];
  if (rows !== 1) throw new Error(`${ce.encoder.dir}: tensor "${last}.weight" has ${rows} output rows, but config.json says one label`);
  const cls = node(g, 'Gather', [hidden, constInt64(g, 0)], { axis: 1 }); // [B, H]
  node(g, 'Identity', [dense(node(g, 'Tanh', [dense(cls, first)]), last)], {}, 'logits');
  addOutput(g, 'logits', 'float', ['batch', 1]);
  return g;
}
