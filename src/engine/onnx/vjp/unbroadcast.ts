// Multidirectional broadcasting in the backward pass: an operand that was broadcast to the output's
// shape receives the output gradient summed over the axes it was stretched along. Shapes are only
// known at run time (dynamic batch/sequence), so the axes are computed in the graph.
import { constInt64, type Graph, node } from '../../../export/graph-builder.js';

/**
 * dy [r dims] summed down to the shape of `x` [k <= r dims]: pad x's shape with leading 1s to
 * rank r, sum over every axis where it differs from dy's, then reshape to x's shape.
 */
export function unbroadcast(g: Graph, dy: string, x: string): string {
  const sy = node(g, 'Shape', [dy]); // [r]
  const sx = node(g, 'Shape', [x]); // [k]
  const missing = node(g, 'Sub', [node(g, 'Shape', [sy]), node(g, 'Shape', [sx])]); // [1] = r - k
  const ones = node(g, 'Expand', [constInt64(g, [1]), missing]); // [r - k] of 1
  const padded = node(g, 'Concat', [ones, sx], { axis: 0 }); // [r]
  const stretched = node(g, 'Not', [node(g, 'Equal', [padded, sy])]);
  const axes = node(g, 'Reshape', [node(g, 'NonZero', [stretched]), constInt64(g, [-1])]);
  const summed = node(g, 'ReduceSum', [dy, axes], { keepdims: 1, noop_with_empty_axes: 1 });
  return node(g, 'Reshape', [summed, sx]);
}

