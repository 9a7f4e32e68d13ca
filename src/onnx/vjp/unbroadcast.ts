// Multidirectional broadcasting in the backward pass: an operand that was broadcast to the output's
// shape receives the output gradient summed over the axes it was stretched along. Where both
// shapes are known statically (shapes.ts) the axes are constants, or there are none and the
// gradient passes through; otherwise (dynamic shapes) they are computed in the graph.
import { constInt64, type Graph, node } from '../graph-builder.js';
import type { Shape } from '../shapes.js';

/** Axes of `dy` to sum so it takes x's shape, when that is sure from the static shapes. */
function staticAxes(dy: Shape, x: Shape): number[] | undefined {
  if (x.length > dy.length) return undefined;
  const padded = [...Array(dy.length - x.length).fill(1), ...x];
  const axes: number[] = [];
  for (let i = 0; i < dy.length; i++) {
    if (padded[i] === dy[i]) continue;
    if (padded[i] !== 1) return undefined; // two different symbols, or numbers: unknown at build time
    axes.push(i);
  }
  return axes;
}

/**
 * dy [r dims] summed down to the shape of `x` [k <= r dims]: pad x's shape with leading 1s to
 * rank r, sum over every axis where it differs from dy's, then reshape to x's shape.
 */
export function unbroadcast(g: Graph, dy: string, x: string, dyShape?: Shape, xShape?: Shape): string {
  const axes = dyShape && xShape && staticAxes(dyShape, xShape);
  if (axes) {
    if (axes.length === 0) return dy;
    // Summing all the leading axes that x lacks with keepdims 0 lands on x's shape directly.
    const leading = axes.every((a, i) => a === i) && axes.length === dyShape!.length - xShape!.length;
    const summed = node(g, 'ReduceSum', [dy, constInt64(g, axes)], { keepdims: leading ? 0 : 1 });
    return leading || dyShape!.length === xShape!.length ? summed : node(g, 'Reshape', [summed, node(g, 'Shape', [x])]);
  }
  const sy = node(g, 'Shape', [dy]); // [r]
  const sx = node(g, 'Shape', [x]); // [k]
  const missing = node(g, 'Sub', [node(g, 'Shape', [sy]), node(g, 'Shape', [sx])]); // [1] = r - k
  const ones = node(g, 'Expand', [constInt64(g, [1]), missing]); // [r - k] of 1
  const padded = node(g, 'Concat', [ones, sx], { axis: 0 }); // [r]
  const stretched = node(g, 'Not', [node(g, 'Equal', [padded, sy])]);
  const axesDyn = node(g, 'Reshape', [node(g, 'NonZero', [stretched]), constInt64(g, [-1])]);
  const summed = node(g, 'ReduceSum', [dy, axesDyn], { keepdims: 1, noop_with_empty_axes: 1 });
  return node(g, 'Reshape', [summed, sx]);
}
