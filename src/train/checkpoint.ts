// Checkpoints: `output_dir/checkpoints/step-N/` holds a complete model folder, the optimizer
// moments (`optimizer.safetensors`) and `trainer_state.json`. Each is written to a temporary
// folder and renamed into place, so a kill mid-write leaves the previous checkpoint intact and
// no folder named step-N that is incomplete.
import fs from 'node:fs';
import path from 'node:path';
import type { ModelFolder } from '../model/folder.js';
import type { ModelCardInfo } from '../model/model-card.js';
import { readSafetensors, type TensorMap, writeSafetensors } from '../model/safetensors.js';
import { writeFolderAtomically, writeModelFiles } from '../model/save.js';
import type { HostMoments } from './host-optim.js';

export interface TrainerState {
  /** Optimizer steps taken. */
  step: number;
  epoch: number;
  total_steps: number;
  /** The data pipeline's position after the last batch used (opaque to the trainer). */
  data_state: unknown;
  /** Best eval NDCG@10 so far and the checkpoint that had it. */
  best?: { metric: string; value: number; step: number };
  /** The options that decide data order and loss (run-options.ts), compared on resume; absent in older checkpoints. */
  run_options?: Record<string, unknown>;
  /** MPI ranks that trained it (absent: one process); a resume needs the same (data-parallel.ts). */
  world_size?: number;
}

const STEP_DIR = /^step-(\d+)$/;

export function checkpointsDir(outputDir: string): string {
  return path.join(outputDir, 'checkpoints');
}

/** Complete checkpoints (only renamed-into-place folders match step-N), oldest first. */
export function listCheckpoints(outputDir: string): { step: number; dir: string }[] {
  const root = checkpointsDir(outputDir);
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .map((name) => ({ m: STEP_DIR.exec(name), name }))
    .filter(({ m, name }) => m && fs.existsSync(path.join(root, name, 'trainer_state.json')))
    .map(({ m, name }) => ({ step: Number(m![1]), dir: path.join(root, name) }))
    .sort((a, b) => a.step - b.step);
}

/** Remove what a killed checkpoint write left behind (temporary folders never renamed into place). */
export function removeStaleTemps(outputDir: string): void {
  const root = checkpointsDir(outputDir);
  if (!fs.existsSync(root)) return;
  for (const name of fs.readdirSync(root)) if (name.includes('.tmp-')) fs.rmSync(path.join(root, name), { recursive: true, force: true });
}

/**
 * `weights` and `opt` in Hugging Face layout (Linear weights [out, in]), whichever engine trained
 * them: the moments sit beside the weights they belong to, so either engine resumes the other's.
 */
export function saveCheckpoint(outputDir: string, folder: ModelFolder, weights: TensorMap, opt: HostMoments, state: TrainerState, card?: ModelCardInfo): string {
  const dir = path.join(checkpointsDir(outputDir), `step-${state.step}`);
  const moments: TensorMap = new Map();
  for (const [key, moment] of [['m', opt.m], ['v', opt.v]] as const) for (const [name, t] of moment) moments.set(`${key}.${name}`, t);
  writeFolderAtomically(dir, (tmp) => {
    writeModelFiles(folder, weights, tmp, card);
    writeSafetensors(path.join(tmp, 'optimizer.safetensors'), moments, { format: 'densetrain-adamw', step: String(opt.step) });
    fs.writeFileSync(path.join(tmp, 'trainer_state.json'), JSON.stringify(state, null, 2) + '\n');
  });
  return dir;
}

/** Keep the newest `limit` checkpoints, and the best one. */
export function pruneCheckpoints(outputDir: string, limit: number, keepStep?: number): void {
  const all = listCheckpoints(outputDir);
  for (const c of all.slice(0, Math.max(0, all.length - limit))) {
    if (c.step !== keepStep) fs.rmSync(c.dir, { recursive: true, force: true });
  }
}

export function readTrainerState(dir: string): TrainerState {
  const file = path.join(dir, 'trainer_state.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read the trainer state (${(e as Error).message})`);
  }
}

/** Optimizer moments of a checkpoint in Hugging Face layout, checked against the parameters' shapes (same layout). */
export function readOptimizer(dir: string, shapes: Map<string, number[]>, step: number): HostMoments {
  const file = path.join(dir, 'optimizer.safetensors');
  const t = readSafetensors(file);
  const get = (key: string, shape: number[]) => {
    const h = t.get(key);
    if (!h) throw new Error(`${file}: tensor "${key}" is missing`);
    if (h.shape.join() !== shape.join()) throw new Error(`${file}: tensor "${key}" has shape [${h.shape}], expected [${shape}]`);
    return h;
  };
  const m: TensorMap = new Map(), v: TensorMap = new Map();
  for (const [name, shape] of shapes) {
    m.set(name, get(`m.${name}`, shape));
    v.set(name, get(`v.${name}`, shape));
  }
  return { step, m, v };
}
