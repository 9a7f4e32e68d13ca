// The gathers autodiff cannot differentiate are refused while the graph is built, naming the node
// (their finite-difference checks are in vjp.test.ts).
import { describe, expect, it } from 'vitest';
import { appendBackward } from '../../src/onnx/autodiff.js';
import { addInput, constInt64, createGraph, type Graph, node } from '../../src/onnx/graph-builder.js';

function differentiate(build: (g: Graph, a: string) => string): () => void {
  const g = createGraph(18);
  const a = addInput(g, 'a', 'float', [2, 3, 4]);
  const y = build(g, a);
  const dy = addInput(g, 'dy', 'float', []);
  return () => appendBackward(g, { seeds: new Map([[y, dy]]), wrt: ['a'] });
}

describe('gather VJPs refuse what they do not cover', () => {
  it('Gather along axis 1 with a list of indices', () => {
    expect(differentiate((g, a) => node(g, 'Gather', [a, constInt64(g, [0, 2])], { axis: 1 }))).toThrow(/Gather node Gather_node_0: axis 1 .*scalar index/);
  });

  it('GatherND without batch_dims 1', () => {
    expect(differentiate((g, a) => node(g, 'GatherND', [a, constInt64(g, [0, 1], [2, 1])]))).toThrow(/GatherND node GatherND_node_0: only batch_dims 1/);
  });

  it('GatherND with batch_dims 1 and more than one index per row', () => {
    expect(differentiate((g, a) => node(g, 'GatherND', [a, constInt64(g, [0, 1, 1, 2], [2, 2])], { batch_dims: 1 }))).toThrow(/GatherND node GatherND_node_0: indices must be \[batch, 1\], not \[2,2\]/);
  });
});
