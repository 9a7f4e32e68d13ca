// The `data:` section of a recipe, as plain data (snake_case, mirroring the YAML), and the checks
// that need several of its keys at once.

/** A column: a path into the record (`a.b`, `negatives[].document`), a list of columns
 * (`[negative_1, negative_2]`), `$file` (the file's name without extension), or null (unmapped). */
export type ColumnSpec = string | string[] | null;

export interface ColumnMap {
  query: string;
  positive: string;
  negatives: ColumnSpec;
  positive_score: ColumnSpec;
  negative_scores: ColumnSpec;
  language: ColumnSpec;
}

export type NegativeSampling = 'first' | 'random' | 'top';
export type Batching = 'plain' | 'no_duplicates' | 'by_language';

export interface DataConfig {
  /** Files, globs and BEIR folders, read in this order (sorted within a glob). */
  train: string[];
  /** Ready-made column mapping (see presets.ts); `columns` entries override it. */
  preset?: 'webfaq_qa' | 'hard_negatives';
  columns: ColumnMap;
  num_negatives: number;
  negative_sampling: NegativeSampling;
  /** Rank window over the record's negatives (by teacher score, else list order): skip the best
   * `negatives_skip_top`, consider ranks below `negatives_max_rank` only. */
  negatives_skip_top: number;
  negatives_max_rank: number | null;
  /** Drop negatives scored at or above positive_score - margin (likely unlabelled positives). */
  false_negative_margin: number | null;
  shuffle: boolean;
  shuffle_buffer: number;
  /** How many files are read at once, records taken from them in turn (or at random when shuffling). */
  interleave: number;
  batching: Batching;
  drop_last: boolean;
  on_bad_record: 'error' | 'skip';
  /** Which qrels/<split>.tsv a BEIR folder contributes. */
  beir_split: string;
  tokenize_workers: number;
  /** Batches formed and tokenized ahead of the training loop. */
  prefetch: number;
  /** Text put before each column's texts before tokenizing ('' for none): sentence-transformers' `prompts` training argument. Recipes always set it. */
  prompts?: ColumnPrompts;
}

/** A prompt per text column of a triple. */
export interface ColumnPrompts {
  query: string;
  positive: string;
  negatives: string;
}

export const PROMPT_COLUMNS = ['query', 'positive', 'negatives'] as const;

/** What the recipe asks of the data that a single key cannot say: one message per problem. */
export function dataConfigProblems(data: DataConfig, loss: string): string[] {
  const c = data.columns;
  const problems: string[] = [];
  if (data.num_negatives > 0 && c.negatives === null)
    problems.push(`data.num_negatives is ${data.num_negatives} but data.columns.negatives is not mapped`);
  if (data.negative_sampling === 'top' && c.negative_scores === null)
    problems.push('data.negative_sampling "top" needs data.columns.negative_scores');
  if (data.false_negative_margin !== null && (c.negative_scores === null || c.positive_score === null))
    problems.push('data.false_negative_margin needs data.columns.positive_score and negative_scores');
  if (data.batching === 'by_language' && c.language === null)
    problems.push('data.batching "by_language" needs data.columns.language');
  if (loss === 'margin_mse' && (c.negative_scores === null || c.positive_score === null || data.num_negatives < 1))
    problems.push('loss margin_mse needs data.num_negatives >= 1 and data.columns.positive_score and negative_scores');
  if (data.negatives_max_rank !== null && data.negatives_max_rank <= data.negatives_skip_top)
    problems.push('data.negatives_max_rank must be greater than data.negatives_skip_top');
  for (const key of ['query', 'positive'] as const)
    if (typeof c[key] !== 'string') problems.push(`data.columns.${key} must be one column path`);
  return problems;
}

/** Fields a record must have under this config (the others are read when present). */
export function requiredFields(data: DataConfig, loss: string): Set<keyof ColumnMap> {
  const req = new Set<keyof ColumnMap>(['query', 'positive']);
  const scores = data.negative_sampling === 'top' || data.false_negative_margin !== null || loss === 'margin_mse';
  if (data.num_negatives > 0) {
    req.add('negatives');
    if (scores) req.add('negative_scores');
    if (data.false_negative_margin !== null || loss === 'margin_mse') req.add('positive_score');
  }
  if (data.batching === 'by_language') req.add('language');
  return req;
}
