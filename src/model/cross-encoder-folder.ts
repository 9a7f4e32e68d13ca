// Reading a cross-encoder folder: a Hugging Face sequence-classification model (BERT or
// XLM-RoBERTa) with one label. The result is the encoder's ModelFolder plus what the classifier
// head needs: which head, and the activation sentence-transformers' CrossEncoder.predict applies.
import path from 'node:path';
import { type FolderOptions, type ModelFolder, readModelFolder } from './folder.js';

/**
 * BertForSequenceClassification: pooler (dense + tanh on [CLS]) then `classifier`.
 * XLMRobertaForSequenceClassification: RobertaClassificationHead (`classifier.dense` + tanh on
 * <s>, then `classifier.out_proj`).
 */
export type ClassifierHead = 'bert' | 'roberta';
export type ScoreActivation = 'sigmoid' | 'identity';

export interface CrossEncoderFolder {
  encoder: ModelFolder;
  head: ClassifierHead;
  activation: ScoreActivation;
}

const ARCHITECTURES: Record<string, ClassifierHead> = {
  BertForSequenceClassification: 'bert',
  XLMRobertaForSequenceClassification: 'roberta',
};

/** sentence-transformers' activation_fn names (config.json "sentence_transformers"), by class. */
const ACTIVATIONS: Record<string, ScoreActivation> = { Sigmoid: 'sigmoid', Identity: 'identity' };

/** The number of labels as transformers counts it: id2label's size, else num_labels, else 2. */
function numLabels(raw: Record<string, any>): number {
  if (raw.id2label && typeof raw.id2label === 'object') return Object.keys(raw.id2label).length;
  return typeof raw.num_labels === 'number' ? raw.num_labels : 2;
}

export function readCrossEncoderFolder(dir: string, opts: Pick<FolderOptions, 'maxSeqLength'> = {}): CrossEncoderFolder {
  const encoder = readModelFolder(dir, opts);
  const file = path.join(dir, 'config.json');
  const raw = encoder.config.raw as Record<string, any>;
  const arch = Array.isArray(raw.architectures) ? String(raw.architectures[0]) : undefined;
  const head = arch === undefined ? (encoder.config.modelType === 'bert' ? 'bert' : 'roberta') : ARCHITECTURES[arch];
  if (!head) {
    throw new Error(`${file}: architectures "${arch}" is not a cross-encoder densetrain runs (${Object.keys(ARCHITECTURES).join(', ')})`);
  }
  const labels = numLabels(raw);
  if (labels !== 1) {
    const names = raw.id2label ? ` (id2label ${JSON.stringify(raw.id2label)})` : '';
    throw new Error(`${file}: num_labels is ${labels}${names}; densetrain scores with one-label cross-encoders only (one logit per pair)`);
  }
  const fn = raw.sentence_transformers?.activation_fn;
  const activation = fn === undefined ? 'sigmoid' : ACTIVATIONS[String(fn).split('.').pop()!];
  if (!activation) {
    throw new Error(`${file}: sentence_transformers.activation_fn "${fn}" is not supported (${Object.keys(ACTIVATIONS).join(', ')})`);
  }
  return { encoder, head, activation };
}
