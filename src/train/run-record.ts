// The run record: what a run needs to be repeated and compared. At the start of every launch the
// run folder gets the resolved recipe (every default filled in, every override applied) as YAML
// and the environment (versions, engine, provider, threads, CPU, GPU, OS) as JSON. A resumed
// launch writes its own pair (`*.resume-step-N.*`), so the first launch's record is never lost.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { densetrainVersion, packageVersion } from '../model/versions.js';
import type { Recipe } from './recipe.js';
import { writeFileAtomically } from '../atomic-file.js';

export interface RunEnvironment {
  started: string;
  densetrain: string;
  node: string;
  packages: Record<string, string | null>;
  engine: { name: string; description: string; execution_provider: string | null; threads: number | null };
  cpu: { model: string; cores: number };
  memory_gb: number;
  gpus: string[] | null;
  os: { platform: string; release: string; arch: string };
}

const PACKAGES = ['onnxruntime-node', '@huggingface/tokenizers'];
/** Read only when tfjs is the run's engine: otherwise it computes nothing of the run. */
const TFJS_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];

/** The engine fields come from the engine itself: its name and the first line it printed. */
export function describeEnvironment(engine: { name: string; description: string }, recipe: Recipe, now = new Date()): RunEnvironment {
  const threads = /(\d+) threads/.exec(engine.description);
  return {
    started: now.toISOString(),
    densetrain: densetrainVersion(),
    node: process.versions.node,
    packages: Object.fromEntries([...PACKAGES, ...(engine.name === 'tfjs' ? TFJS_PACKAGES : [])].map((p) => [p, packageVersion(p) ?? null])),
    engine: {
      name: engine.name,
      description: engine.description,
      execution_provider: engine.name === 'onnx' ? recipe.train.execution_provider : null,
      threads: threads ? Number(threads[1]) : null,
    },
    cpu: { model: os.cpus()[0]?.model.trim() ?? 'unknown', cores: os.availableParallelism() },
    memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    gpus: nvidiaGpus(),
    os: { platform: os.platform(), release: os.release(), arch: os.arch() },
  };
}

/** NVIDIA GPUs as nvidia-smi names them; null where there is no nvidia-smi (no NVIDIA driver). */
function nvidiaGpus(): string[] | null {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\n').map((l) => l.trim()).filter(Boolean);
  } catch {
    return null;
  }
}

/** Write the launch's record into `outDir`; `resumedAt` is the checkpoint step a resumed launch started from. */
export function writeRunRecord(outDir: string, recipe: Recipe, env: RunEnvironment, resumedAt?: number): { recipeFile: string; environmentFile: string } {
  const suffix = resumedAt === undefined ? '' : `.resume-step-${resumedAt}`;
  const recipeFile = path.join(outDir, `recipe.resolved${suffix}.yaml`);
  const environmentFile = path.join(outDir, `environment${suffix}.json`);
  const header = `# The recipe as this run used it: every default filled in and every override applied (densetrain ${env.densetrain}, ${env.started}).\n`;
  writeFileAtomically(recipeFile, header + YAML.stringify(recipe));
  writeFileAtomically(environmentFile, JSON.stringify(env, null, 2) + '\n');
  return { recipeFile, environmentFile };
}


