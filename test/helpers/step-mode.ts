// The step mode tests pass to lossAndGradients: training mode with the masks of micro-batch 0 of
// step 0 under run seed `seed`, or eval mode (no dropout) without a seed.
import type { StepMode } from '../../src/train/step.js';

export function modeFor(seed?: number): StepMode {
  return seed === undefined ? { mode: 'eval' } : { mode: 'train', step: { seed, step: 0, micro: 0 } };
}
