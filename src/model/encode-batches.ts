// sentence-transformers' encode loop, shared by the tfjs model and the ONNX engine: prepend the
// prompt, tokenize, sort by length so each batch pads little, embed batch by batch, restore order.
import type { PromptChoice } from './prompts.js';
import type { TextTokenizer } from './tokenizer.js';

export interface EncodeOptions extends PromptChoice {
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Embeddings in input order; `embedRows` turns token-id rows into a row-major [rows, H] array.
 * It also gets the prompt's token count (0 without a prompt), for pooling that leaves it out.
 */
export async function encodeInBatches(
  texts: string[],
  tokenizer: TextTokenizer,
  prompt: string,
  batchSize: number,
  embedRows: (rows: number[][], promptLength: number) => Promise<Float32Array>,
  onProgress?: (done: number, total: number) => void,
): Promise<Float32Array[]> {
  const ids = texts.map((t) => tokenizer.encode(prompt + t));
  const promptLength = prompt === '' ? 0 : tokenizer.promptLength(prompt);
  const order = ids.map((_, i) => i).sort((a, b) => ids[b].length - ids[a].length);
  const out: Float32Array[] = new Array(texts.length);
  for (let s = 0; s < order.length; s += batchSize) {
    const chunk = order.slice(s, s + batchSize);
    const data = await embedRows(chunk.map((i) => ids[i]), promptLength);
    const H = data.length / chunk.length;
    chunk.forEach((i, r) => (out[i] = data.slice(r * H, (r + 1) * H)));
    onProgress?.(Math.min(s + batchSize, order.length), order.length);
  }
  return out;
}
