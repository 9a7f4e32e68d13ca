// `embed` and `eval` always run the encoder on onnxruntime, the graph built in memory from the model
// folder (all cores, no export needed). Their old --engine and --backend flags are kept as
// deprecated aliases: --engine auto|onnx says so in a line, --engine tfjs is refused with the way
// out, and --backend (a tfjs training setting) says it does nothing here.

/** The notice for a deprecated flag given to embed or eval, or an error for --engine tfjs. */
export function encodeFlagNotices(command: string, flags: { engine?: string; backend?: string }): string[] {
  const out: string[] = [];
  if (flags.engine !== undefined) {
    if (flags.engine !== 'auto' && flags.engine !== 'onnx') {
      throw new Error(`${command} --engine ${flags.engine}: ${command} runs on onnxruntime only (tfjs is a training backend: train --engine tfjs); drop --engine`);
    }
    out.push(`densetrain: --engine is deprecated for ${command} (it always runs on onnxruntime); drop it`);
  }
  if (flags.backend !== undefined) out.push(`densetrain: --backend sets the tfjs training backend; ${command} runs on onnxruntime and does not use it`);
  return out;
}
