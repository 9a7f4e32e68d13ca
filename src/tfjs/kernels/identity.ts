// Identity for the wasm backend without a copy. tfjs clones (Identity) every input it saves for
// the backward pass; the stock wasm kernel copies the bytes each time, which in a transformer's
// training step means hundreds of megabytes of memcpy and as many allocations. Tensors are
// immutable (a Variable's assign swaps its data id), so sharing the data id with a reference
// count is safe, and is what the cpu backend does.
//
// Example: tf.clone(x) on wasm now shares x's memory; disposing x keeps the clone's data alive.
import { Identity, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';

interface RefCountingBackend {
  incRef(dataId: object): void;
}

const kernelFunc = (({ inputs, backend }: { inputs: { x: TensorInfo }; backend: RefCountingBackend }) => {
  const { x } = inputs;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}) as unknown as KernelFunc;

export const identityWasm: KernelConfig = { kernelName: Identity, backendName: 'wasm', kernelFunc };
