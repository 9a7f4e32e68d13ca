// Backend selection: tfjs-node-gpu, then tfjs-node, then wasm, then plain JS (contract:
// `--backend auto|tensorflow|wasm|cpu`, env DENSETRAIN_BACKEND). The native backends are optional
// peer dependencies: they download libtensorflow at install time, which not every machine can.
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { identityWasm } from './kernels/identity.js';
import { unsortedSegmentSumWasm } from './kernels/unsorted-segment-sum.js';

import { BACKEND_CHOICES, type BackendChoice } from './backend-choices.js';

export { BACKEND_CHOICES, type BackendChoice } from './backend-choices.js';

export interface BackendInfo {
  /** tfjs backend name: tensorflow, wasm or cpu. */
  backend: string;
  /** What computes, in words. */
  device: string;
}

let current: BackendInfo | undefined;

async function tryNative(): Promise<BackendInfo | undefined> {
  for (const [pkg, device] of [
    ['@tensorflow/tfjs-node-gpu', 'NVIDIA GPU (libtensorflow, CUDA)'],
    ['@tensorflow/tfjs-node', `CPU (libtensorflow, ${os.cpus().length} threads)`],
  ] as const) {
    try {
      await import(pkg);
    } catch {
      continue;
    }
    if (await tf.setBackend('tensorflow')) return { backend: 'tensorflow', device };
  }
  return undefined;
}

/** Kernels the wasm backend lacks (UnsortedSegmentSum: the gradient of gather) or does slowly (Identity). */
function registerWasmKernels(): void {
  if (!tf.getKernel(unsortedSegmentSumWasm.kernelName, 'wasm')) tf.registerKernel(unsortedSegmentSumWasm);
  if (tf.getKernel(identityWasm.kernelName, 'wasm')?.kernelFunc !== identityWasm.kernelFunc) {
    tf.unregisterKernel(identityWasm.kernelName, 'wasm');
    tf.registerKernel(identityWasm);
  }
}

/** Select and initialise a backend; idempotent for the same choice. */
export async function initBackend(choice: string = process.env.DENSETRAIN_BACKEND ?? 'auto'): Promise<BackendInfo> {
  if (!BACKEND_CHOICES.includes(choice as BackendChoice)) {
    throw new Error(`backend "${choice}" is not one of ${BACKEND_CHOICES.join(', ')}`);
  }
  if (current && (choice === 'auto' || choice === current.backend)) return current;
  let info: BackendInfo | undefined;
  if (choice === 'auto' || choice === 'tensorflow') {
    info = await tryNative();
    if (!info && choice === 'tensorflow') {
      throw new Error('backend "tensorflow" needs @tensorflow/tfjs-node (CPU) or @tensorflow/tfjs-node-gpu (CUDA 11.2, cuDNN 8.1); install one with npm, or use --backend wasm');
    }
  }
  if (!info && (choice === 'auto' || choice === 'wasm')) {
    registerWasmKernels();
    if (await tf.setBackend('wasm')) info = { backend: 'wasm', device: 'CPU (WebAssembly SIMD, 1 thread)' };
    else if (choice === 'wasm') throw new Error('the wasm backend failed to initialise');
  }
  if (!info) {
    await tf.setBackend('cpu');
    info = { backend: 'cpu', device: 'CPU (plain JavaScript)' };
  }
  await tf.ready();
  // PROD silences tfjs's console banners (e.g. "looks like you are running TensorFlow.js in Node.js").
  tf.env().set('PROD', true);
  current = info;
  return info;
}

export function describeBackend(info: BackendInfo): string {
  return `densetrain: tfjs backend ${info.backend} on ${info.device}`;
}
