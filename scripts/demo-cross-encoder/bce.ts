// Binary cross-entropy on logits, as torch.nn.BCEWithLogitsLoss (mean over the batch), which
// sentence-transformers' CrossEncoder BinaryCrossEntropyLoss applies to a one-label model:
//   loss = mean_i [ max(z_i, 0) - z_i y_i + log(1 + exp(-|z_i|)) ]
//   d loss / d z_i = (sigmoid(z_i) - y_i) / n
// in float64, stable for large |z|.

export function bceWithLogits(logits: ArrayLike<number>, labels: ArrayLike<number>): { loss: number; dLogits: Float32Array } {
  const n = logits.length;
  if (labels.length !== n) throw new Error(`bceWithLogits: ${n} logits but ${labels.length} labels`);
  let sum = 0;
  const dLogits = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const z = logits[i], y = labels[i];
    sum += Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
    dLogits[i] = (1 / (1 + Math.exp(-z)) - y) / n;
  }
  return { loss: sum / n, dLogits };
}
