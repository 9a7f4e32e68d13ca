// Imports point one way: cli on top, then the commands' libraries (train, export, mine), then what
// they compute with (graphs, eval, data, losses, model; tfjs, the optional training backend, which
// only train and export's check may use), then what everything may use (onnx's graph builder,
// errors, progress). A file may import its own unit and the units listed for it, nothing
// above; a new top-level unit fails here until it is given its place.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

// Unit (a folder or a top-level file of src/) -> the units it may import besides itself.
const BASE = ['atomic-file.ts', 'errors.ts', 'progress.ts', 'onnx'];
const ALLOWED: Record<string, string[]> = {
  'atomic-file.ts': [],
  'errors.ts': [],
  'progress.ts': [],
  onnx: [],
  model: [...BASE],
  losses: [...BASE, 'model'],
  data: [...BASE, 'model'],
  eval: [...BASE, 'data', 'model'],
  graphs: [...BASE, 'losses', 'model'],
  tfjs: [...BASE, 'model'],
  export: [...BASE, 'graphs', 'model', 'tfjs'],
  mine: [...BASE, 'data', 'eval', 'graphs', 'model'],
  train: [...BASE, 'data', 'eval', 'graphs', 'losses', 'model', 'tfjs'],
  // cli selects the tfjs backend for train (--backend) and export's check.
  cli: [...BASE, 'train', 'export', 'mine', 'data', 'eval', 'graphs', 'losses', 'model', 'tfjs'],
  // The library's public entry re-exports from every layer, cli's data check included.
  'index.ts': [...BASE, 'cli', 'train', 'export', 'mine', 'data', 'eval', 'graphs', 'losses', 'model', 'tfjs'],
};

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)'(\.{1,2}\/[^']+)'/g;

/** The unit of a path relative to src/: its first folder, or the file itself at the top. */
function unitOf(rel: string): string {
  return rel.split('/')[0];
}

/** Each import in `text` (of src/`file`) that crosses into a unit `file`'s unit may not import. */
function crossings(file: string, text: string, allowed: Record<string, string[]>): string[] {
  const from = unitOf(file);
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]));
    const to = unitOf(target.replace(/\.js$/, '.ts'));
    if (to !== from && !(allowed[from] ?? []).includes(to)) out.push(`src/${file} imports ${m[1]} (${from} -> ${to})`);
  }
  return out;
}

function sourceFiles(dir: string, rel = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) return sourceFiles(path.join(dir, e.name), r);
    return e.name.endsWith('.ts') ? [r] : [];
  });
}

describe('import layers', () => {
  it('every unit of src/ has a place in the layers', () => {
    const units = [...new Set(sourceFiles(SRC).map(unitOf))].sort();
    expect(units.filter((u) => !(u in ALLOWED))).toEqual([]);
  });

  it('the allowed directions have no cycle', () => {
    const state = new Map<string, 'open' | 'done'>();
    const visit = (u: string, trail: string[]): void => {
      if (state.get(u) === 'done') return;
      if (state.get(u) === 'open') throw new Error(`cycle: ${[...trail, u].join(' -> ')}`);
      state.set(u, 'open');
      for (const v of ALLOWED[u] ?? []) visit(v, [...trail, u]);
      state.set(u, 'done');
    };
    for (const u of Object.keys(ALLOWED)) visit(u, []);
  });

  it('no file of src/ imports a layer above its own', () => {
    const found = sourceFiles(SRC).flatMap((f) => crossings(f, fs.readFileSync(path.join(SRC, f), 'utf8'), ALLOWED));
    expect(found).toEqual([]);
  });

  it('the check catches a crossing, static or dynamic, and passes an allowed one', () => {
    expect(crossings('train/trainer.ts', "import { progress } from '../cli/progress.js';", ALLOWED)).toEqual([
      "src/train/trainer.ts imports ../cli/progress.js (train -> cli)",
    ]);
    expect(crossings('graphs/training/train-step.ts', "const m = await import('../../export/export.js');", ALLOWED)).toHaveLength(1);
    expect(crossings('data/stream.ts', "export type { Recipe } from '../train/recipe.js';", ALLOWED)).toHaveLength(1);
    expect(crossings('graphs/training/train-step.ts', "import { node } from '../../onnx/graph-builder.js';", ALLOWED)).toEqual([]);
    expect(crossings('train/trainer.ts', "import { x } from './recipe.js';", ALLOWED)).toEqual([]);
    // onnx (builder, autodiff, VJPs) is neutral: it depends on nothing else of ours.
    expect(crossings('onnx/autodiff.ts', "import { buildEncoderGraph } from '../graphs/encoder-graph.js';", ALLOWED)).toHaveLength(1);
    // tfjs is a unit of its own: train may use it, model, onnx and data may not.
    expect(crossings('train/learner.ts', "import { openTfjsEngine } from '../tfjs/tfjs-engine.js';", ALLOWED)).toEqual([]);
    for (const f of ['model/folder.ts', 'onnx/graph-builder.ts', 'data/stream.ts', 'graphs/encoder-graph.ts']) {
      expect(crossings(f, "import { modelFromFolder } from '../tfjs/model.js';", ALLOWED), f).toHaveLength(1);
    }
  });
});
