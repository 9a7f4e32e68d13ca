// Entry for test/train/memory-budget.test.ts: `node --import tsx test/helpers/budget-train.ts RECIPE
// [key=value ...]` trains and prints one JSON line: the run's first line, its losses, gradient norms and the
// process's peak resident set (VmHWM), which only a process of its own measures.
import { peakResidentBytes } from '../../src/graphs/training/step-memory.js';
import { loadRecipe } from '../../src/train/recipe.js';
import { train } from '../../src/train/trainer.js';

const [file, ...pairs] = process.argv.slice(2);
const overrides = Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
const lines: string[] = [];
const losses: number[] = [];
const gradNorms: number[] = [];
await train(loadRecipe(file, overrides), { log: (l) => lines.push(l), onStep: (row) => {
  losses.push(row.loss);
  gradNorms.push(row.grad_norm);
} });
const peak = peakResidentBytes();
console.log(JSON.stringify({ first: lines[0], losses, gradNorms, peak }));
