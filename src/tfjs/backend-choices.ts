// The --backend choices, apart from the backends themselves: the CLI lists them in every command's
// help without loading TensorFlow.js (some 0.6 s and 50 MB), which only a tfjs run needs.
export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];
