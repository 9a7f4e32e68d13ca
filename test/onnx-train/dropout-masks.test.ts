// The ONNX engine's dropout masks: one per site with the rate > 0, shaped as the graph's inputs,
// dropping about `rate` of the elements; and rows drawn on their own (a mini-batch, a backward
// chunk) equal the row slice of the column's masks, which is what lets either pass be chunked.
import { describe, expect, it } from 'vitest';
import { dropoutMasks } from '../../src/graphs/training/dropout-masks.js';
import { dropoutSites } from '../../src/graphs/encoder-graph.js';
import type { EncoderConfig } from '../../src/model/config.js';

const B = 5, L = 7;

function config(hiddenDropout: number, attentionDropout: number): EncoderConfig {
  return { hiddenSize: 8, numHeads: 2, numLayers: 2, hiddenDropout, attentionDropout } as EncoderConfig;
}

describe('dropout masks', () => {
  it('one per site, [B, L, H] or [B, nh, L, L], dropping about `rate` of the elements', () => {
    const sites = dropoutSites(config(0.25, 0.5));
    expect(sites.map((s) => s.site)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const masks = dropoutMasks(sites, { step: { seed: 3, step: 0, micro: 0 }, column: 0 }, 40, 30);
    for (const s of sites) {
      const m = masks.get(`dropout_mask_${s.site}`)!;
      expect(m.shape).toEqual(s.site % 3 === 1 ? [40, 2, 30, 30] : [40, 30, 8]);
      const dropped = m.data.filter((v) => v === 0).length / m.data.length;
      expect(Math.abs(dropped - s.rate), `site ${s.site}`).toBeLessThan(0.03);
    }
  });

  it('leave out sites whose rate is 0', () => {
    expect(dropoutSites(config(0, 0.1)).map((s) => s.site)).toEqual([1, 4]);
    expect(dropoutSites(config(0.1, 0)).map((s) => s.site)).toEqual([0, 2, 3, 5, 6]);
  });

  it('rows [2, 4) drawn on their own equal rows [2, 4) of the whole column; another seed differs', () => {
    const sites = dropoutSites(config(0.2, 0.2));
    const whole = dropoutMasks(sites, { step: { seed: 9, step: 0, micro: 0 }, column: 0 }, B, L);
    const part = dropoutMasks(sites, { step: { seed: 9, step: 0, micro: 0 }, column: 0, firstRow: 2 }, 2, L);
    const other = dropoutMasks(sites, { step: { seed: 10, step: 0, micro: 0 }, column: 0, firstRow: 2 }, 2, L);
    for (const [name, p] of part) {
      const w = whole.get(name)!;
      const perRow = w.data.length / B;
      expect(p.shape).toEqual([2, ...w.shape.slice(1)]);
      expect(p.data).toEqual(w.data.slice(2 * perRow, 4 * perRow));
      expect(other.get(name)!.data).not.toEqual(p.data);
    }
  });
});
