// The encoder's backward graph: the forward encoder (graphs/encoder-graph.ts) with every trainable
// weight fed as an input and the gradient of sentence_embedding given, differentiated by
// autodiff.ts. Losses are computed outside on the small [rows, H] embeddings, so one graph serves
// every loss (and GradCache: embed without gradients, then backpropagate per mini-batch).
//
// Inputs: input_ids, attention_mask(, token_type_ids) int64 [batch, sequence]; each weight under
// its HF name in the graph's layout (Linear weights [in, out], see toInOutLayout);
// d_sentence_embedding float [batch, hidden]; in training mode (`dropout`), a mask per dropout site
// (graphs/encoder-graph.ts dropoutSites), fed, not differentiated.
// Outputs: `d_<HF name>` per weight, in the layout it is fed (Linear weights [in, out]); the word
// embeddings' as rows (WORD_ROWS_GRAD).
import { buildEncoderGraph } from '../encoder-graph.js';
import { addInput, addOutput, type Graph, node } from '../../onnx/graph-builder.js';
import type { EncoderConfig } from '../../model/config.js';
import type { ModelFolder } from '../../model/folder.js';
import { MODERNBERT_WORD_EMBEDDINGS } from '../../model/modernbert-config.js';
import { appendBackward, pruneDeadNodes } from '../../onnx/autodiff.js';

export interface EncoderVjpGraph {
  graph: Graph;
  /** Trainable weights: HF name and the shape it is fed in (graph layout). */
  params: { name: string; dims: number[] }[];
}

export interface EncoderGraphOptions {
  opset?: number;
  /** Training mode: dropout masks as inputs. */
  dropout?: boolean;
}

/** The training graphs' opset: 20 has the Gelu op (see activation in encoder-graph.ts). */
export const TRAINING_OPSET = 20;

/** The forward encoder with its weights graph inputs instead of initializers. */
export function feedableEncoderGraph(folder: ModelFolder, { opset = TRAINING_OPSET, dropout = false }: EncoderGraphOptions = {}): EncoderVjpGraph {
  const g = buildEncoderGraph(folder, { opset, dropout });
  const params = g.initializers.filter((t) => folder.weights.has(t.name)).map((t) => ({ name: t.name, dims: t.dims }));
  // Plain inputs, not initializers listed as inputs too: onnxruntime would keep using the
  // initializer's values and ignore the fed ones.
  const fed = new Set(params.map((p) => p.name));
  g.initializers = g.initializers.filter((t) => !fed.has(t.name));
  for (const p of params) addInput(g, p.name, 'float', p.dims);
  return { graph: g, params };
}

/** The word embedding table, whose gradient the graph gives as rows (see WORD_ROWS_GRAD). */
export const WORD_EMBEDDINGS = 'embeddings.word_embeddings.weight';

/** The word embedding table of an architecture (ModernBERT calls it tok_embeddings). */
export function wordEmbeddings(cfg: EncoderConfig): string {
  return cfg.modelType === 'modernbert' ? MODERNBERT_WORD_EMBEDDINGS : WORD_EMBEDDINGS;
}
/**
 * Output: d(looked-up word embedding rows) [batch, sequence, hidden]. The host adds row (b, t) to
 * the table's gradient at token id input_ids[b, t]: a dense [vocab, hidden] gradient would be a
 * scatter into a fresh 47 MB zero tensor and a copy out per run (MiniLM), most of it zeros.
 */
export const WORD_ROWS_GRAD = 'd_word_embedding_rows';

export function buildEncoderVjpGraph(folder: ModelFolder, opts: EncoderGraphOptions = {}): EncoderVjpGraph {
  const { graph: g, params } = feedableEncoderGraph(folder, opts);
  const hidden = folder.config.hiddenSize;
  const seed = addInput(g, 'd_sentence_embedding', 'float', ['batch', hidden]);
  const table = wordEmbeddings(folder.config);
  const rows = g.nodes.find((n) => n.opType === 'Gather' && n.input![0] === table)!.output![0];
  const dense = params.filter((p) => p.name !== table);
  const grads = appendBackward(g, { seeds: new Map([['sentence_embedding', seed]]), wrt: [...dense.map((p) => p.name), rows] });
  g.outputs = [];
  for (const p of dense) {
    node(g, 'Identity', [grads.get(p.name)!], {}, `d_${p.name}`);
    addOutput(g, `d_${p.name}`, 'float', p.dims);
  }
  node(g, 'Identity', [grads.get(rows)!], {}, WORD_ROWS_GRAD);
  addOutput(g, WORD_ROWS_GRAD, 'float', ['batch', 'sequence', hidden]);
  pruneDeadNodes(g);
  return { graph: g, params };
}
