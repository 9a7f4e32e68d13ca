// The tfjs encoder's outputs for one token batch: the independent reference export's check
// (src/export/parity.ts) compares the written ONNX file against, for BERT and XLM-R.
import * as tf from '@tensorflow/tfjs';
import type { ModelFolder } from '../model/folder.js';
import type { TokenBatch } from '../model/tokenizer.js';
import { encoderForward } from './encoder.js';
import { modelFromFolder, type SentenceModel } from './model.js';

/** The tfjs encoder's last_hidden_state (flat) and sentence embeddings (flat) of one token batch. */
export async function encoderOutputs(folder: ModelFolder, batch: TokenBatch): Promise<{ hidden: Float32Array; sentence: Float32Array }> {
  let model: SentenceModel | undefined;
  try {
    model = modelFromFolder(folder);
    const [h, e] = tf.tidy(() => {
      const hidden = encoderForward(model!.params, folder.config, batch);
      return [hidden, model!.embed(batch)];
    });
    const [hidden, sentence] = (await Promise.all([h.data(), e.data()])) as Float32Array[];
    tf.dispose([h, e]);
    return { hidden, sentence };
  } catch (e) {
    // The wasm backend addresses at most 4 GiB: models near 2 GB of weights do not fit with activations.
    throw new Error(`${folder.dir}: the tfjs encoder could not run the check on the ${tf.getBackend()} backend (${(e as Error).message}); ` +
      'a native backend (--backend tensorflow, with @tensorflow/tfjs-node installed) has no such memory limit');
  } finally {
    model?.dispose();
  }
}
