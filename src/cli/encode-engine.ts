// Which engine `embed` and `eval` run when --engine is auto (the default): tfjs for the
// architectures it computes, as before; onnx for those only the ONNX graph computes, so a user's
// first `embed --model <an MPNet folder>` works without knowing about engines.
import fs from 'node:fs';
import path from 'node:path';
import { ARCHITECTURES, type Architecture, TFJS_ARCHITECTURES } from '../model/config.js';

export const ENCODE_ENGINE_CHOICES = ['auto', 'tfjs', 'onnx'] as const;
export type EncodeEngineChoice = (typeof ENCODE_ENGINE_CHOICES)[number];

export function resolveEncodeEngine(choice: EncodeEngineChoice, model: string): 'tfjs' | 'onnx' {
  if (choice !== 'auto') return choice;
  let type: Architecture;
  try {
    type = JSON.parse(fs.readFileSync(path.join(model, 'config.json'), 'utf8')).model_type;
  } catch {
    return 'tfjs'; // loading the model then says what is wrong with it
  }
  return ARCHITECTURES.includes(type) && !TFJS_ARCHITECTURES.includes(type) ? 'onnx' : 'tfjs';
}
