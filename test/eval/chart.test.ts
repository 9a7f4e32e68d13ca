import { describe, expect, it } from 'vitest';
import { formatTick, lineChart, niceTicks } from '../../src/eval/chart.js';

describe('niceTicks', () => {
  it('encloses the data with steps of 1, 2 or 5 times a power of ten', () => {
    expect(niceTicks([0.0123, 0.987], 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks([1, 300], 8)).toEqual([0, 50, 100, 150, 200, 250, 300]);
    expect(niceTicks([0, 2e-3], 5)).toEqual([0, 5e-4, 1e-3, 1.5e-3, 2e-3]);
    expect(niceTicks([0.31, 0.35], 5)).toEqual([0.31, 0.32, 0.33, 0.34, 0.35]);
    expect(niceTicks([-3.2, 7.9], 5)).toEqual([-4, -2, 0, 2, 4, 6, 8]);
  });

  it('gives a flat series a range around its value', () => {
    const t = niceTicks([3, 3, 3], 5);
    expect(t[0]).toBeLessThan(3);
    expect(t.at(-1)).toBeGreaterThan(3);
  });
});

describe('formatTick', () => {
  it('uses the decimals the spacing needs, and e-notation for tiny steps', () => {
    expect(formatTick(0.4, 0.2)).toBe('0.4');
    expect(formatTick(0.05, 0.05)).toBe('0.05');
    expect(formatTick(1, 0.2)).toBe('1.0');
    expect(formatTick(250, 50)).toBe('250');
    expect(formatTick(1.5e-3, 5e-4)).toBe('1.5e-3');
    expect(formatTick(2e-5, 5e-6)).toBe('2e-5');
    expect(formatTick(1.5e-5, 5e-6)).toBe('1.5e-5');
    expect(formatTick(0, 5e-6)).toBe('0');
  });
});

describe('lineChart', () => {
  it('labels every tick and scales to the page width', () => {
    const svg = lineChart('lr', [{ name: 'lr', points: [[1, 0], [20, 2e-3], [300, 1e-5]] }], 'step');
    for (const label of ['0', '5e-4', '1e-3', '1.5e-3', '2e-3', '50', '300']) expect(svg, label).toContain(`>${label}</text>`);
    expect(svg).toMatch(/<svg [^>]*viewBox="0 0 1000 \d+"[^>]*width="100%"/);
  });

  it('draws a legend entry with each series\' colour and dash', () => {
    const svg = lineChart('eval', [
      { name: 'a', label: 'recall@10', points: [[0, 0.1], [10, 0.5]], color: '#111111', dash: '' },
      { name: 'b', label: 'accuracy@10', points: [[0, 0.1], [10, 0.5]], color: '#222222', dash: '7 3' },
    ], 'step');
    expect(svg).toMatch(/<g data-legend="a"><line [^>]*stroke="#111111"[^>]*\/>.*>recall@10<\/text><\/g>/);
    expect(svg).toMatch(/<g data-legend="b"><line [^>]*stroke="#222222"[^>]*stroke-dasharray="7 3"/);
    expect(svg).toMatch(/<path data-series="b" [^>]*stroke-dasharray="7 3"/);
  });
});
