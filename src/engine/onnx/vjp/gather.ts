// Row lookup: table [V, H] gathered by integer ids [...] -> y [..., H] (axis 0, embeddings).
import { node } from '../../../export/graph-builder.js';
import { attrInt, inputs } from './attributes.js';
import type { Vjp } from './types.js';

/** dtable[v] = Σ over positions with id v of dy[position]: a scatter-add into zeros. */
const gather: Vjp = (g, n, [dy]) => {
  const [table, ids] = inputs(n);
  if (attrInt(n, 'axis', 0) !== 0) throw new Error(`autodiff: Gather node ${n.name}: only axis 0 is differentiable`);
  const zeros = node(g, 'ConstantOfShape', [node(g, 'Shape', [table])]); // float 0 by default
  const where = node(g, 'Unsqueeze', [ids, node(g, 'Shape', [node(g, 'Shape', [ids])])]); // [..., 1]
  return [node(g, 'ScatterND', [zeros, where, dy!], { reduction: 'add' }), undefined];
};

export const gatherVjps: Record<string, Vjp> = { Gather: gather };
