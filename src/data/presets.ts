// Ready-made column mappings for the published WebFAQ layouts. A recipe names one with
// `data.preset`; its own `data.columns` entries still win.
//
// - webfaq_qa: the QA parquet files `data/{lang}.parquet` (id, origin, url, question, answer,
//   semantic_similarity_score, optional topic, question_type). question -> query, answer ->
//   positive, language from the file name (`de.parquet` -> de). There are no negatives in these
//   files, so use it with `num_negatives: 0` (in-batch negatives, as MNRL does).
// - hard_negatives: grouped hard-negative JSONL, one query per line with its positive and a list
//   of mined negatives carrying cross-encoder scores:
//   {"query", "positive", "positive_score", "language", "negatives": [{"document", "cross_encoder_score"}]}
// - BEIR-style retrieval sets (corpus.jsonl with _id/title/text, queries.jsonl, qrels/<split>.tsv
//   with query-id/corpus-id/score) need no mapping: a folder in `data.train` is read as BEIR and
//   every qrels pair with score > 0 becomes a (query, "title text") pair.
import type { ColumnMap } from './config.js';

export const DEFAULT_COLUMNS: ColumnMap = {
  query: 'query',
  positive: 'positive',
  negatives: 'negatives',
  positive_score: 'positive_score',
  negative_scores: 'negative_scores',
  language: 'language',
};

export const PRESETS: Record<'webfaq_qa' | 'hard_negatives', Partial<ColumnMap>> = {
  webfaq_qa: {
    query: 'question',
    positive: 'answer',
    negatives: null,
    positive_score: null,
    negative_scores: null,
    language: '$file',
  },
  hard_negatives: {
    query: 'query',
    positive: 'positive',
    positive_score: 'positive_score',
    negatives: 'negatives[].document',
    negative_scores: 'negatives[].cross_encoder_score',
    language: 'language',
  },
};
