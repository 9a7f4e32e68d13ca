// Which engine `embed` and `eval` run when --engine is auto (the default): onnx for every
// architecture, the graph built in memory from the model folder (all cores, no export needed);
// tfjs only when --engine tfjs asks for it.
export const ENCODE_ENGINE_CHOICES = ['auto', 'tfjs', 'onnx'] as const;
export type EncodeEngineChoice = (typeof ENCODE_ENGINE_CHOICES)[number];

export function resolveEncodeEngine(choice: EncodeEngineChoice): 'tfjs' | 'onnx' {
  return choice === 'auto' ? 'onnx' : choice;
}
