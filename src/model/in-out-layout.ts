// The in-out layout: PyTorch stores Linear weights [out, in]; the encoder graphs and the tfjs
// encoder take them [in, out] so the forward pass needs no transpose. Every other tensor is stored
// as in Hugging Face's files. Training keeps weights, gradients and moments in this layout;
// checkpoints and saved folders are in Hugging Face's.
import type { HostTensor, TensorMap } from './safetensors.js';

/** A Linear weight by its Hugging Face name (stored transposed in the in-out layout). */
export function isLinearWeight(name: string): boolean {
  // BERT / RoBERTa (query ... dense), DistilBERT (q_lin ... lin2), MPNet (attn.q ... attn.o).
  return /\.(query|key|value|dense|q_lin|k_lin|v_lin|out_lin|lin1|lin2)\.weight$|\.attn\.[qkvo]\.weight$/.test(name);
}

function transpose2d(t: HostTensor): HostTensor {
  const [r, c] = t.shape;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return { shape: [c, r], data: out };
}

/** Hugging Face layout -> in-out layout for one tensor, and back (transposition is its own inverse). */
export function toInOutLayout(name: string, t: HostTensor): HostTensor {
  return isLinearWeight(name) ? transpose2d(t) : t;
}

/** toInOutLayout for every tensor of a map (weights, gradients or optimizer moments), either way. */
export function mapToInOutLayout(m: TensorMap): TensorMap {
  return new Map([...m].map(([name, t]) => [name, toInOutLayout(name, t)]));
}
