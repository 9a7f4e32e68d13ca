// Train one step on the onnx engine from tiny-distilbert, tiny-roberta and tiny-mpnet, save, and
// read the folder back: the saved model.safetensors holds the architecture's own names in PyTorch
// layout (so it matches PyTorch's after_step1 under the after-step rule), config.json is unchanged,
// the sentence-transformers files are there, and the reloaded folder embeds as the engine did.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadOnnxModel } from '../../src/graphs/onnx-encoder.js';
import type { LossConfig } from '../../src/losses/batch.js';
import { readModelFolder } from '../../src/model/folder.js';
import { readSafetensors } from '../../src/model/safetensors.js';
import { saveModelFolder } from '../../src/model/save.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';
import { ADAMW_DEFAULTS } from '../../src/train/host-optim.js';
import { openLearner } from '../../src/train/learner.js';
import { expectAfterStep } from '../helpers/after-step.js';
import { maxAbsDiff } from '../helpers/reference-encoder.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const MNRL: LossConfig = { name: 'mnrl', scale: 20, symmetric: false, mini_batch_size: 32 };
const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-arch-save-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

for (const name of ['tiny-distilbert', 'tiny-roberta', 'tiny-mpnet']) {
  it(`${name}: one step, save -> a sentence-transformers folder with its own tensor names and config`, async () => {
    const exp = readJson(`${FIX}${name}.expected.json`);
    const folder = readModelFolder(`${FIX}${name}`);
    const tok = loadTokenizer(folder.dir, folder.maxSeqLength);
    const engine = await openLearner(folder, { engine: 'onnx', loss: MNRL });
    await engine.accumulate({ query: tok.encodeBatch(exp.batch.query), positive: tok.encodeBatch(exp.batch.positive), negatives: [tok.encodeBatch(exp.batch.negative)] }, { seed: 0, step: 0, micro: 0 });
    engine.update(1, exp.case.lr, null, { ...ADAMW_DEFAULTS, weightDecay: exp.case.weight_decay });
    const out = path.join(tmp, name);
    saveModelFolder(folder, out, engine.weights());
    const texts = exp.texts.slice(0, 6);
    const trained = await engine.encodeAs('document', texts);
    await engine.dispose();

    const saved = readSafetensors(path.join(out, 'model.safetensors'));
    const source = readSafetensors(`${FIX}${name}/model.safetensors`);
    expect([...saved.keys()].sort()).toEqual([...source.keys()].sort()); // the pooler kept as read
    for (const [k, t] of source) expect(saved.get(k)!.shape, k).toEqual(t.shape);
    expectAfterStep(`${FIX}${name}.after_step1.safetensors`, saved, exp.case.lr);
    expect(readJson(path.join(out, 'config.json'))).toEqual(readJson(`${FIX}${name}/config.json`));
    expect(readJson(path.join(out, 'modules.json')).map((m: any) => m.type)).toEqual(
      ['sentence_transformers.models.Transformer', 'sentence_transformers.models.Pooling', 'sentence_transformers.models.Normalize']);
    expect(fs.readFileSync(path.join(out, 'tokenizer.json')).equals(fs.readFileSync(`${FIX}${name}/tokenizer.json`))).toBe(true);

    const reloaded = readModelFolder(out);
    expect([reloaded.config.modelType, reloaded.pooling, reloaded.normalize, reloaded.maxSeqLength]).toEqual([folder.config.modelType, 'mean', true, 64]);
    const m = await loadOnnxModel(out);
    expect(maxAbsDiff(await m.encode(texts), trained)).toBeLessThan(1e-6);
    expect(maxAbsDiff(await m.encode(texts), exp.embeddings.slice(0, 6))).toBeGreaterThan(1e-4); // it did train
    await m.release();
  });
}
