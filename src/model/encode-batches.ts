// sentence-transformers' encode loop, shared by the tfjs model and the ONNX engine: prepend the
// prompt, tokenize, sort by length so each batch pads little, embed batch by batch, restore order.
import type { TextTokenizer } from './tokenizer.js';

/** The prompt text named `name` (none when undefined), or a clear error naming where prompts live. */
export function promptText(prompts: Record<string, string>, name: string | undefined, source: string): string {
  if (name === undefined) return '';
  const prompt = prompts[name];
  if (prompt === undefined) throw new Error(`prompt "${name}" is not defined in ${source} (has: ${Object.keys(prompts).join(', ') || 'none'})`);
  return prompt;
}

/** Embeddings in input order; `embedRows` turns token-id rows into a row-major [rows, H] array. */
export async function encodeInBatches(
  texts: string[],
  tokenizer: TextTokenizer,
  prompt: string,
  batchSize: number,
  embedRows: (rows: number[][]) => Promise<Float32Array>,
  onProgress?: (done: number, total: number) => void,
): Promise<Float32Array[]> {
  const ids = texts.map((t) => tokenizer.encode(prompt + t));
  const order = ids.map((_, i) => i).sort((a, b) => ids[b].length - ids[a].length);
  const out: Float32Array[] = new Array(texts.length);
  for (let s = 0; s < order.length; s += batchSize) {
    const chunk = order.slice(s, s + batchSize);
    const data = await embedRows(chunk.map((i) => ids[i]));
    const H = data.length / chunk.length;
    chunk.forEach((i, r) => (out[i] = data.slice(r * H, (r + 1) * H)));
    onProgress?.(Math.min(s + batchSize, order.length), order.length);
  }
  return out;
}
