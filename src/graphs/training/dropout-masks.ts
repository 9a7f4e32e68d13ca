// Training-mode dropout masks for the ONNX graphs: the tfjs engine's masks (src/model/dropout-mask.ts),
// one float input per dropout site, so both engines drop the same elements and give the same loss.
// A mask is a function of the element's position in its column, so the rows of a mini-batch or a
// backward chunk are drawn on their own, in both passes, without keeping a column's masks.
import type { DropoutSite } from '../encoder-graph.js';
import { dropoutMultipliers, maskKey } from '../../model/dropout-mask.js';
import type { Dropout } from '../../model/dropout-mask.js';
import type { HostTensor } from '../../model/safetensors.js';

/** Mask per graph input name (DropoutSite.name). */
export type DropoutMasks = Map<string, HostTensor>;

/**
 * The masks of every site for `rows` rows of `seqLen` tokens starting at row `d.firstRow` of the
 * column of `d`. With `buffers`, each site's mask is drawn into its buffer (grown when
 * too small) and returned as a view: valid until the next call.
 */
export function dropoutMasks(sites: DropoutSite[], d: Dropout, rows: number, seqLen: number, buffers?: Map<string, Float32Array>): DropoutMasks {
  return new Map(sites.map((s) => {
    const shape = s.dims.map((x) => (x === 'batch' ? rows : x === 'sequence' ? seqLen : Number(x)));
    const size = shape.reduce((a, b) => a * b, 1);
    let buffer = buffers?.get(s.name);
    if (buffers && (!buffer || buffer.length < size)) buffers.set(s.name, (buffer = new Float32Array(size)));
    const out = buffer?.subarray(0, size) ?? new Float32Array(size);
    const first = (d.firstRow ?? 0) * (size / rows);
    return [s.name, { shape, data: dropoutMultipliers(s.rate, maskKey(d, s.site), first, size, out) }];
  }));
}
