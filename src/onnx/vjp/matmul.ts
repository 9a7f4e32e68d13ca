// MatMul over batched operands: a [..., m, k] · b [..., k, n] = y [..., m, n], leading dims broadcast.
import { type Graph, node } from '../graph-builder.js';
import { inputs } from './attributes.js';
import type { Vjp } from './types.js';
import { unbroadcast } from './unbroadcast.js';

/** The rank of a graph input or initializer, when declared; undefined for intermediates. */
function declaredRank(g: Graph, name: string): number | undefined {
  const init = g.initializers.find((t) => t.name === name);
  if (init) return init.dims.length;
  return g.inputs.find((v) => v.name === name)?.type?.tensorType?.shape?.dim?.length;
}

/** Swap the last two axes of x, rank r. */
function swapLast(g: Graph, x: string, r: number): string {
  return node(g, 'Transpose', [x], { perm: [...Array(r - 2).keys(), r - 1, r - 2] });
}

/**
 * da = dy · bᵀ [..., m, k], db = aᵀ · dy [..., k, n].
 * A weight b [k, n] shared across the leading dims (every Linear) takes two plain GEMMs:
 * db = flatten(a)ᵀ · flatten(dy) sums over the batch in the product itself. Batched products
 * (attention) whose rank is known statically take MatMuls with transposes (onnxruntime fuses
 * them); otherwise Einsum's ellipsis swaps the last two axes without knowing the rank.
 */
const matmul: Vjp = (g, n, [dy], shapes) => {
  const [a, b] = inputs(n);
  const sa = shapes.get(a), sb = shapes.get(b), sy = shapes.get(n.output![0]);
  if ((sb?.length ?? declaredRank(g, b)) === 2) {
    const da = node(g, 'MatMul', [dy!, node(g, 'Transpose', [b], { perm: [1, 0] })]);
    const db = node(g, 'Gemm', [node(g, 'Flatten', [a], { axis: -1 }), node(g, 'Flatten', [dy!], { axis: -1 })], { transA: 1 });
    return [da, db];
  }
  if (sa && sb && sy && sa.length >= 2 && sb.length >= 2) {
    const da = node(g, 'MatMul', [dy!, swapLast(g, b, sb.length)]);
    const db = node(g, 'MatMul', [swapLast(g, a, sa.length), dy!]);
    const batch = sy.slice(0, -2);
    return [unbroadcast(g, da, a, [...batch, ...sa.slice(-2)], sa), unbroadcast(g, db, b, [...batch, ...sb.slice(-2)], sb)];
  }
  const da = node(g, 'Einsum', [dy!, b], { equation: '...mn,...kn->...mk' });
  const db = node(g, 'Einsum', [a, dy!], { equation: '...mk,...mn->...kn' });
  return [unbroadcast(g, da, a), unbroadcast(g, db, b)];
};

export const matmulVjps: Record<string, Vjp> = { MatMul: matmul };
