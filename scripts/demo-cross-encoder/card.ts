// The demo cross-encoder's README.md: a short model card saying what it is, how it was made and
// how to use it. Only facts that do not change from run to run (no timings), so the bytes repeat.
import type { TrainSettings } from './train.js';
import { FALSE_NEGATIVE_MARGIN } from './pairs.js';

export interface CardFacts {
  records: number;
  pairs: number;
  steps: number;
  parameters: number;
  firstEpochLoss: number;
  lastEpochLoss: number;
  settings: TrainSettings;
}

export function modelCard(f: CardFacts): string {
  const s = f.settings;
  return `---
library_name: sentence-transformers
pipeline_tag: text-ranking
tags:
  - cross-encoder
  - reranker
  - densetrain
---

# Demo cross-encoder (bert, 2 layers, hidden 64)

A small \`BertForSequenceClassification\` cross-encoder with one label, made by densetrain's
\`scripts/make-demo-cross-encoder.ts\` for the demo's mining chain (\`densetrain demo --mining\`):
it scores (query, answer) pairs of the embedded demo data (\`data/demo\`), FAQ-style questions and
answers in several languages. It knows nothing outside that data.

## How it was made

- Architecture: BERT, 2 layers, 4 attention heads, hidden size 64, ${f.parameters} parameters; the
  WordPiece vocabulary and tokenizer files of \`models/default\`; pairs truncated to 64 tokens.
- Weights initialised as transformers does (normal(0, 0.02), seed ${s.seed}), then trained on
  \`data/demo/train.jsonl\` (${f.records} records): per record and epoch, (query, positive) labelled 1,
  (query, one of its hard negatives) and (query, another record's positive) labelled 0; negatives
  the file scores within ${FALSE_NEGATIVE_MARGIN} of the positive (rewordings of it) left out.
- Loss: binary cross-entropy on the logit (sentence-transformers' \`BinaryCrossEntropyLoss\`);
  AdamW (lr ${s.lr}, weight decay 0.01, linear schedule, ${s.warmupSteps} warmup steps), batch ${s.batchSize},
  ${s.epochs} epochs (${f.steps} steps, ${f.pairs} pairs), dropout off. Gradients from densetrain's
  ONNX autodiff on onnxruntime. Mean loss ${f.firstEpochLoss.toFixed(4)} in the first epoch,
  ${f.lastEpochLoss.toFixed(4)} in the last.
- Held out: \`data/demo/eval\` (its answers never appear in training).

## Usage

\`\`\`bash
npx densetrain score --model models/demo-cross-encoder --input pairs.jsonl --output scored.jsonl
npx densetrain mine --model models/default --data data/demo/train.jsonl --cross-encoder models/demo-cross-encoder --output mined.jsonl
\`\`\`

\`\`\`python
from sentence_transformers import CrossEncoder

model = CrossEncoder("PATH_TO_THIS_FOLDER")
scores = model.predict([("How do I cancel my subscription?", "You can cancel your subscription from the mobile app.")])
\`\`\`

Scores are the sigmoid of the logit (\`config.json\` names sentence-transformers' Sigmoid activation).
`;
}
