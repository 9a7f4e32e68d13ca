// The model card (README.md) of every model folder densetrain writes, in the Hugging Face format
// sentence-transformers uses (its model_card_template.md): YAML front matter the Hub reads
// (library_name, pipeline_tag, tags, base_model, language, datasets, model-index with the
// evaluation metrics), then the model's details, usage from densetrain, sentence-transformers and
// transformers.js, training and evaluation details where known, and the versions that wrote it.
import path from 'node:path';
import YAML from 'yaml';
import type { ModelFolder } from './folder.js';
import { densetrainVersion, packageVersion } from './versions.js';

/** What training knew; every field comes from the run, nothing is assumed. */
export interface TrainingCardInfo {
  /** The model the run started from: a folder or a Hub id. */
  baseModel: string;
  loss: { name: string; params: Record<string, unknown> };
  hyperparameters: Record<string, unknown>;
  data: { files: string[]; records: number; skipped: number; languages: Record<string, number> };
  steps: number;
  totalSteps: number;
  epoch: number;
  /** The engine's first line (engine, provider or backend, threads). */
  engine: string;
}

export interface EvaluationCardInfo {
  /** The BEIR folder and split evaluated on. */
  data: string;
  split: string;
  step: number;
  /** Our metric names (`ndcg@10`); the card shows sentence-transformers' (`cosine_ndcg@10`) too. */
  metrics: Record<string, number>;
}

export interface ModelCardInfo {
  training?: TrainingCardInfo;
  evaluation?: EvaluationCardInfo;
}

/** The tag that marks a card densetrain wrote (see save.ts, which keeps such a card when the weights are unchanged). */
export const DENSETRAIN_TAG = 'densetrain';

const LOSS_CLASSES: Record<string, string> = {
  mnrl: 'MultipleNegativesRankingLoss',
  cached_mnrl: 'CachedMultipleNegativesRankingLoss',
  margin_mse: 'MarginMSELoss',
};

/** Hub ids look like ORG/NAME (optionally @revision); anything else is a local folder and no base_model the Hub could link. */
const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;
/** Language codes as the Hub's `language` key takes them (ISO 639-1/3, optional region). */
const LANGUAGE_CODE = /^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?$/;

export function modelCard(model: ModelFolder, info: ModelCardInfo = {}): string {
  const front = YAML.stringify(frontMatter(model, info), { lineWidth: 0 });
  return `---\n${front}---\n\n${body(model, info).join('\n')}\n`;
}

/** Split a README.md into its front matter (parsed) and body; undefined front matter where there is none. */
export function readFrontMatter(text: string): Record<string, unknown> | undefined {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/.exec(text);
  if (!m) return undefined;
  try {
    const doc = YAML.parse(m[1]);
    return doc && typeof doc === 'object' && !Array.isArray(doc) ? doc : undefined;
  } catch {
    return undefined;
  }
}

function baseModelId(info: ModelCardInfo): string | undefined {
  const base = info.training?.baseModel.replace(/@.*$/, '');
  return base && HUB_ID.test(base) && !base.startsWith('.') ? base : undefined;
}

function languages(info: ModelCardInfo): string[] {
  return Object.entries(info.training?.data.languages ?? {})
    .filter(([code]) => LANGUAGE_CODE.test(code))
    .sort((a, b) => b[1] - a[1])
    .map(([code]) => code);
}

function lossClass(info: TrainingCardInfo): string {
  return LOSS_CLASSES[info.loss.name] ?? info.loss.name;
}

function modelName(model: ModelFolder, info: ModelCardInfo): string {
  const base = info.training ? baseModelId(info) ?? path.basename(path.resolve(info.training.baseModel)) : undefined;
  return base ? `SentenceTransformer based on ${base}` : `SentenceTransformer (${model.config.modelType}, ${model.config.hiddenSize} dimensions)`;
}

/** `ndcg@10` -> `Cosine Ndcg@10`, the display names sentence-transformers' cards use. */
function displayName(key: string): string {
  return `Cosine ${key.charAt(0).toUpperCase()}${key.slice(1)}`;
}

function frontMatter(model: ModelFolder, info: ModelCardInfo): Record<string, unknown> {
  const t = info.training;
  const ev = info.evaluation;
  const tags = ['sentence-transformers', 'sentence-similarity', 'feature-extraction', DENSETRAIN_TAG];
  if (t) tags.push('generated_from_trainer', `dataset_size:${t.data.records}`, `loss:${lossClass(t)}`);
  const langs = languages(info);
  const base = baseModelId(info);
  const out: Record<string, unknown> = {};
  if (langs.length > 0) out.language = langs;
  out.library_name = 'sentence-transformers';
  out.pipeline_tag = 'sentence-similarity';
  out.tags = tags;
  if (base) out.base_model = base;
  if (t) out.datasets = t.data.files.map((f) => path.basename(f));
  if (ev) {
    const name = path.basename(path.resolve(ev.data));
    out.metrics = Object.keys(ev.metrics).map((k) => `cosine_${k}`);
    out['model-index'] = [{
      name: modelName(model, info),
      results: [{
        task: { type: 'information-retrieval', name: 'Information Retrieval' },
        dataset: { name, type: name, split: ev.split },
        metrics: Object.entries(ev.metrics).map(([k, v]) => ({ type: `cosine_${k}`, value: v, name: displayName(k) })),
      }],
    }];
  }
  return out;
}

function body(model: ModelFolder, info: ModelCardInfo): string[] {
  const c = model.config;
  const t = info.training;
  const lines = [
    `# ${modelName(model, info)}`,
    '',
    t
      ? `This is a [sentence-transformers](https://www.SBERT.net) model trained with densetrain from ${'`'}${t.baseModel}${'`'}. It maps sentences and paragraphs to a ${c.hiddenSize}-dimensional dense vector space for semantic search and retrieval.`
      : `This is a [sentence-transformers](https://www.SBERT.net) model written by densetrain. It maps sentences and paragraphs to a ${c.hiddenSize}-dimensional dense vector space for semantic search and retrieval.`,
    '',
    '## Model Details',
    '',
    '- **Model Type:** Sentence Transformer',
    ...(t ? [`- **Base model:** ${baseModelId(info) ? `[${baseModelId(info)}](https://huggingface.co/${baseModelId(info)})` : `\`${t.baseModel}\``}`] : []),
    `- **Architecture:** ${c.modelType} (${String(c.raw.architectures ?? c.modelType)}), ${c.numLayers} layers, ${c.numHeads} attention heads, hidden size ${c.hiddenSize}, vocabulary ${c.vocabSize}`,
    `- **Maximum Sequence Length:** ${model.maxSeqLength} tokens`,
    `- **Output Dimensionality:** ${c.hiddenSize} dimensions`,
    `- **Pooling:** ${model.pooling}${model.includePrompt ? '' : ', leaving the prompt\'s tokens out'}${model.normalize ? ', then normalised to unit length' : ''}`,
    '- **Similarity Function:** Cosine Similarity',
    ...(prompts(model).length > 0 ? [`- **Prompts:** ${prompts(model).map(([k, v]) => `${k}: \`${JSON.stringify(v)}\``).join(', ')}`] : []),
    ...(languages(info).length > 0 ? [`- **Languages:** ${languages(info).join(', ')}`] : []),
    '',
    '### Full Model Architecture',
    '',
    '```',
    'SentenceTransformer(',
    `  (0): Transformer({'max_seq_length': ${model.maxSeqLength}, 'do_lower_case': False}) with Transformer model: ${String((c.raw.architectures as string[] | undefined)?.[0] ?? c.modelType)}`,
    `  (1): Pooling({'word_embedding_dimension': ${c.hiddenSize}, 'pooling_mode': '${model.pooling}'})`,
    ...(model.normalize ? ['  (2): Normalize()'] : []),
    ')',
    '```',
    '',
    ...usage(model),
    ...(info.evaluation ? evaluation(info.evaluation) : []),
    ...(t ? training(t) : []),
    '## Framework Versions',
    '',
    ...versions(t?.engine).map(([k, v]) => `- ${k}: ${v}`),
    '',
  ];
  return lines;
}

/** Prompts that change the text (sentence-transformers folders often list empty ones). */
function prompts(model: ModelFolder): [string, string][] {
  return Object.entries(model.prompts).filter(([, v]) => v !== '');
}

function usage(model: ModelFolder): string[] {
  const hasQueryPrompt = !!model.prompts.query;
  const tjsPooling: Record<string, string | undefined> = { mean: 'mean', cls: 'cls', lasttoken: 'last_token', max: undefined };
  const pooling = tjsPooling[model.pooling];
  return [
    '## Usage',
    '',
    '### densetrain (Node.js)',
    '',
    '```bash',
    'npx densetrain embed --model PATH_TO_THIS_FOLDER --input texts.jsonl --output embeddings.jsonl',
    '```',
    '',
    '```ts',
    "import { initBackend, loadModel } from 'densetrain';",
    '',
    "await initBackend('auto');",
    "const model = await loadModel('PATH_TO_THIS_FOLDER');",
    hasQueryPrompt
      ? "const queries = await model.encodeAs('query', ['What is the weather like?']); // adds the query prompt"
      : "const embeddings = await model.encode(['The weather is lovely today.', 'It is so sunny outside!']);",
    '```',
    '',
    '### Sentence Transformers (Python)',
    '',
    '```python',
    'from sentence_transformers import SentenceTransformer',
    '',
    'model = SentenceTransformer("PATH_TO_THIS_FOLDER")',
    ...(hasQueryPrompt
      ? ['queries = model.encode(["What is the weather like?"], prompt_name="query")', 'documents = model.encode(["The weather is lovely today."]' + (model.prompts.document ? ', prompt_name="document")' : ')')]
      : ['embeddings = model.encode(["The weather is lovely today.", "It is so sunny outside!"])']),
    'similarities = model.similarity(' + (hasQueryPrompt ? 'queries, documents' : 'embeddings, embeddings') + ')',
    '```',
    '',
    '### Transformers.js',
    '',
    'transformers.js reads `onnx/model.onnx`, which `densetrain export` writes: export this folder first if it has no `onnx/` folder.',
    '',
    '```js',
    "import { env, pipeline } from '@huggingface/transformers';",
    '',
    "env.localModelPath = 'PARENT_OF_THIS_FOLDER';",
    "const extractor = await pipeline('feature-extraction', 'THIS_FOLDER_NAME', { dtype: 'fp32', local_files_only: true });",
    ...prompts(model).map(([k, v]) => `// the pipeline adds no prompts: put ${JSON.stringify(v)} before each ${k} yourself`),
    ...(!model.includePrompt && prompts(model).length > 0 ? ["// this model leaves the prompt's tokens out of the pooling (include_prompt false); the pipeline pools them in: with a prompt, pool the token embeddings yourself"] : []),
    pooling
      ? `const embeddings = await extractor(['The weather is lovely today.'], { pooling: '${pooling}', normalize: ${model.normalize} });`
      : "// max pooling is not one of the pipeline's poolings: take the token embeddings and pool them yourself",
    '```',
    '',
  ];
}

function evaluation(ev: EvaluationCardInfo): string[] {
  const rows = Object.entries(ev.metrics).map(([k, v]) => `| cosine_${k} | ${k} | ${v.toFixed(4)} |`);
  return [
    '## Evaluation',
    '',
    '### Metrics',
    '',
    '#### Information Retrieval',
    '',
    `Evaluated at step ${ev.step} on \`${ev.data}\` (split \`${ev.split}\`), exact cosine search, computed as sentence-transformers' \`InformationRetrievalEvaluator\` computes them.`,
    '',
    '| Metric (sentence-transformers) | densetrain | Value |',
    '|:--|:--|--:|',
    ...rows,
    '',
  ];
}

function training(t: TrainingCardInfo): string[] {
  const langs = Object.entries(t.data.languages).sort((a, b) => b[1] - a[1]);
  const params = (o: Record<string, unknown>) => Object.entries(o).map(([k, v]) => `- \`${k}\`: ${JSON.stringify(v)}`);
  return [
    '## Training Details',
    '',
    '### Training Dataset',
    '',
    ...t.data.files.map((f) => `- \`${f}\``),
    '',
    `- Records read: ${t.data.records}${t.data.skipped > 0 ? ` (${t.data.skipped} skipped as bad records)` : ''}`,
    ...(langs.length > 0 ? [`- Languages (records): ${langs.map(([k, v]) => `${k} ${v}`).join(', ')}`] : []),
    `- Loss: \`${lossClass(t)}\` with parameters:`,
    '',
    '```json',
    JSON.stringify(t.loss.params, null, 2),
    '```',
    '',
    '### Training Hyperparameters',
    '',
    `- Steps: ${t.steps} of ${t.totalSteps} (epoch ${t.epoch})`,
    `- Engine: ${t.engine.replace(/^densetrain: /, '')}`,
    ...params(t.hyperparameters),
    '',
  ];
}

/** The versions that computed the model: tfjs's only when it was the training engine. */
function versions(engine?: string): [string, string][] {
  const out: [string, string][] = [['densetrain', densetrainVersion()], ['Node.js', process.versions.node]];
  const tfjs = engine?.startsWith('densetrain: engine tfjs') ? ['@tensorflow/tfjs'] : [];
  for (const p of ['onnxruntime-node', ...tfjs, '@huggingface/tokenizers']) {
    const v = packageVersion(p);
    if (v) out.push([p, v]);
  }
  return out;
}
