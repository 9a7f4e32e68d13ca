// README.md model cards: the YAML front matter parses (yaml package) with the keys the Hub reads,
// the body has the sections sentence-transformers' cards have, a plain save writes a shorter card,
// a densetrain card survives a save of the same weights (export), and
// config_sentence_transformers.json names the versions that really wrote the folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { readModelFolder } from '../../src/model/folder.js';
import { modelCard, readFrontMatter, type ModelCardInfo } from '../../src/model/model-card.js';
import { saveModelFolder } from '../../src/model/save.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-card-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Front matter parsed by the yaml package directly (not through readFrontMatter), and the body. */
function parseCard(text: string): { front: Record<string, any>; body: string } {
  const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
  expect(m, 'README.md starts with --- front matter ---').not.toBeNull();
  return { front: YAML.parse(m![1]), body: m![2] };
}

const trained: ModelCardInfo = {
  training: {
    baseModel: 'sentence-transformers/all-MiniLM-L6-v2@main',
    loss: { name: 'mnrl', params: { scale: 20, symmetric: false } },
    hyperparameters: { batch_size: 32, lr: 2e-5, schedule: 'linear' },
    data: { files: ['/data/a/train-en.jsonl', '/data/b/train-de.parquet'], records: 1234, skipped: 3, languages: { de: 400, en: 800, 'not a code': 34 } },
    steps: 50,
    totalSteps: 100,
    epoch: 0,
    engine: 'densetrain: engine onnx, onnxruntime-node 1.30.0 cpu execution provider, 4 threads',
  },
  evaluation: { data: '/data/scifact-beir', split: 'test', step: 50, metrics: { 'ndcg@10': 0.61234, 'precision@1': 0.5, 'map@100': 0.4 } },
};

describe('modelCard', () => {
  const folder = readModelFolder(`${FIX}tiny-bert`);

  it('names @tensorflow/tfjs among the framework versions only when tfjs was the training engine', () => {
    const tfjsVersion = JSON.parse(fs.readFileSync(new URL('../../node_modules/@tensorflow/tfjs/package.json', import.meta.url), 'utf8')).version;
    expect(modelCard(folder, trained)).not.toContain('@tensorflow/tfjs');
    expect(modelCard(folder, {})).not.toContain('@tensorflow/tfjs');
    const onTfjs = modelCard(folder, { ...trained, training: { ...trained.training!, engine: 'densetrain: engine tfjs, tfjs backend wasm on CPU' } });
    expect(onTfjs).toContain(`- @tensorflow/tfjs: ${tfjsVersion}`);
  });

  it('front matter with the keys the Hub reads, from training and evaluation info', () => {
    const { front, body } = parseCard(modelCard(folder, trained));
    expect(front.library_name).toBe('sentence-transformers');
    expect(front.pipeline_tag).toBe('sentence-similarity');
    expect(front.tags).toEqual(expect.arrayContaining(['sentence-transformers', 'sentence-similarity', 'densetrain', 'dataset_size:1234', 'loss:MultipleNegativesRankingLoss']));
    expect(front.base_model).toBe('sentence-transformers/all-MiniLM-L6-v2'); // the revision is not part of a Hub id
    expect(front.language).toEqual(['en', 'de']); // by record count; "not a code" is no language code
    expect(front.datasets).toEqual(['train-en.jsonl', 'train-de.parquet']);
    const [entry] = front['model-index'];
    expect(entry.name).toBe('SentenceTransformer based on sentence-transformers/all-MiniLM-L6-v2');
    const [result] = entry.results;
    expect(result.task).toEqual({ type: 'information-retrieval', name: 'Information Retrieval' });
    expect(result.dataset).toEqual({ name: 'scifact-beir', type: 'scifact-beir', split: 'test' });
    expect(result.metrics).toEqual([
      { type: 'cosine_ndcg@10', value: 0.61234, name: 'Cosine Ndcg@10' },
      { type: 'cosine_precision@1', value: 0.5, name: 'Cosine Precision@1' },
      { type: 'cosine_map@100', value: 0.4, name: 'Cosine Map@100' },
    ]);
    for (const section of ['## Model Details', '### Full Model Architecture', '## Usage', '### densetrain (Node.js)', '### Sentence Transformers (Python)',
      '### Transformers.js', '## Evaluation', '## Training Details', '### Training Hyperparameters', '## Framework Versions']) {
      expect(body, section).toContain(section);
    }
    expect(body).toContain(`- **Maximum Sequence Length:** ${folder.maxSeqLength} tokens`);
    expect(body).toContain(`- **Output Dimensionality:** ${folder.config.hiddenSize} dimensions`);
    expect(body).toContain('- **Pooling:** mean, then normalised to unit length');
    expect(body).toContain('  (2): Normalize()');
    expect(body).toContain('| cosine_ndcg@10 | ndcg@10 | 0.6123 |');
    expect(body).toContain('Records read: 1234 (3 skipped as bad records)');
    expect(body).toContain('Languages (records): en 800, de 400, not a code 34');
    expect(body).toContain('`MultipleNegativesRankingLoss`');
    expect(body).toContain("{ pooling: 'mean', normalize: true }");
    expect(body).toContain(`- densetrain: ${pkg.version}`);
    expect(body).toContain(`- Node.js: ${process.versions.node}`);
  });

  it('a local base model is named in the body but is no base_model key', () => {
    const local: ModelCardInfo = { training: { ...trained.training!, baseModel: './models/my-base' } };
    const { front, body } = parseCard(modelCard(folder, local));
    expect(front).not.toHaveProperty('base_model');
    expect(front).not.toHaveProperty('model-index'); // no evaluation
    expect(body).toContain('`./models/my-base`');
    expect(body).not.toContain('## Evaluation');
  });

  it('without training info: a shorter card, still with the Hub keys', () => {
    const { front, body } = parseCard(modelCard(folder));
    expect(Object.keys(front)).toEqual(['library_name', 'pipeline_tag', 'tags']);
    expect(front.tags).not.toContain('generated_from_trainer');
    expect(body).toContain('## Usage');
    expect(body).not.toContain('## Training Details');
  });

  it('usage with prompts: prompt_name in Python, encodeAs in densetrain, a note for transformers.js; empty prompts are no prompts', () => {
    const withPrompts = { ...folder, pooling: 'cls' as const, normalize: false, prompts: { query: 'query: ', document: 'passage: ', empty: '' } };
    const { body } = parseCard(modelCard(withPrompts));
    expect(body).toContain('prompt_name="query"');
    expect(body).toContain('prompt_name="document"');
    expect(body).toContain("model.encodeAs('query'");
    expect(body).toContain('put "query: " before each query yourself');
    expect(body).toContain("{ pooling: 'cls', normalize: false }");
    expect(body).toContain('- **Prompts:** query: `"query: "`, document: `"passage: "`\n');
    const { body: plain } = parseCard(modelCard({ ...folder, prompts: { query: '', document: '' } }));
    expect(plain).not.toContain('prompt_name');
    expect(plain).not.toContain('**Prompts:**');
  });

  it('include_prompt false: the card says the pooling leaves the prompt out, and warns transformers.js users', () => {
    const { body } = parseCard(modelCard({ ...folder, includePrompt: false, prompts: { query: 'query: ' } }));
    expect(body).toContain("leaving the prompt's tokens out");
    expect(body).toContain('include_prompt false); the pipeline pools them in');
    const { body: including } = parseCard(modelCard({ ...folder, prompts: { query: 'query: ' } }));
    expect(including).not.toContain('include_prompt false');
  });

  it('readFrontMatter gives the parsed mapping, or undefined without one', () => {
    expect(readFrontMatter(modelCard(folder, trained))?.library_name).toBe('sentence-transformers');
    expect(readFrontMatter('# just a title\n')).toBeUndefined();
    expect(readFrontMatter('---\n: : [\n---\nbody\n')).toBeUndefined();
  });
});

describe('saved folders', () => {
  it('a plain save writes README.md and real versions in config_sentence_transformers.json', () => {
    const out = path.join(tmp, 'plain');
    saveModelFolder(readModelFolder(`${FIX}tiny-bert`), out);
    const { front } = parseCard(fs.readFileSync(path.join(out, 'README.md'), 'utf8'));
    expect(front.library_name).toBe('sentence-transformers');
    const st = JSON.parse(fs.readFileSync(path.join(out, 'config_sentence_transformers.json'), 'utf8'));
    expect(st.__version__).toEqual({ densetrain: pkg.version });
    expect(readModelFolder(out).maxSeqLength).toBe(readModelFolder(`${FIX}tiny-bert`).maxSeqLength); // still loads
  });

  it('keeps a densetrain card when the weights are the same (export), writes a new one when they change or the card is not ours', () => {
    const trainedDir = path.join(tmp, 'trained');
    const source = readModelFolder(`${FIX}tiny-bert`);
    saveModelFolder(source, trainedDir, new Map(source.weights), trained);
    const trainedCard = fs.readFileSync(path.join(trainedDir, 'README.md'), 'utf8');
    expect(parseCard(trainedCard).front['model-index']).toBeDefined();

    const again = readModelFolder(trainedDir);
    const exported = path.join(tmp, 'exported');
    saveModelFolder(again, exported); // same weights, no info: as export.ts writes its folder
    expect(fs.readFileSync(path.join(exported, 'README.md'), 'utf8')).toBe(trainedCard);

    const retrained = path.join(tmp, 'retrained');
    saveModelFolder(again, retrained, new Map(again.weights)); // other weights, no info: the old card would lie
    expect(parseCard(fs.readFileSync(path.join(retrained, 'README.md'), 'utf8')).front).not.toHaveProperty('model-index');

    const foreign = path.join(tmp, 'foreign-src');
    fs.cpSync(`${FIX}tiny-bert`, foreign, { recursive: true });
    fs.writeFileSync(path.join(foreign, 'README.md'), '---\nlicense: mit\n---\n# someone else\n');
    const fromForeign = path.join(tmp, 'from-foreign');
    saveModelFolder(readModelFolder(foreign), fromForeign);
    expect(parseCard(fs.readFileSync(path.join(fromForeign, 'README.md'), 'utf8')).front.library_name).toBe('sentence-transformers');
  });
});
