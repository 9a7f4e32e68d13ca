// Recipe loading: a YAML or JSON file, plus dotted overrides from the command line
// (`train.lr=2e-5`), checked against the schema below. Unknown keys, wrong types and values out
// of range are errors that name the key, the value and where it came from (the file or the
// command line); missing keys take the contract's defaults.
import fs from 'node:fs';
import YAML from 'yaml';
import { didYouMean } from '../errors.js';
import { dataConfigProblems, type DataConfig, PROMPT_COLUMNS } from '../data/config.js';
import { DEFAULT_COLUMNS, PRESETS } from '../data/presets.js';
import { parseMemoryBudget } from './memory-budget.js';

export interface Recipe {
  model: { path: string; max_seq_length?: number };
  data: DataConfig;
  loss: { name: 'mnrl' | 'cached_mnrl' | 'margin_mse'; scale: number; symmetric: boolean; mini_batch_size: number; gather_across_devices: boolean };
  train: {
    batch_size: number;
    lr: number;
    weight_decay: number;
    schedule: 'constant' | 'linear' | 'cosine';
    warmup_steps: number;
    warmup_ratio?: number;
    max_steps: number | null;
    epochs: number;
    max_grad_norm: number | null;
    gradient_accumulation_steps: number;
    seed: number;
    output_dir: string;
    save_every: number;
    save_total_limit: number;
    resume: string | null;
    engine: 'auto' | 'tfjs' | 'onnx';
    execution_provider: 'cpu' | 'cuda' | 'dml' | 'coreml';
    /** none, auto, bytes or a size with a unit (6GB, 6GiB): see memory-budget.ts. */
    memory_budget: string;
    report_to: 'tensorboard'[];
  };
  eval?: { data: string; every: number; split: string };
}

// The schema: each key's kind, default, and whether it may be null or left out.
type Leaf =
  | { kind: 'string' | 'boolean' | 'strings' | 'column' | 'prompts' }
  | { kind: 'number' | 'integer'; min?: number; max?: number; above?: number }
  | { kind: 'enum' | 'choices'; values: readonly string[] };
type Field = Leaf & { default?: unknown; nullable?: boolean; optional?: boolean };
interface Section {
  kind: 'section';
  fields: Record<string, Field | Section>;
  optional?: boolean;
}

const str = (d?: string): Field => ({ kind: 'string', ...(d === undefined ? {} : { default: d }) });
const int = (d?: number | null, min = 0): Field => ({ kind: 'integer', min, default: d, nullable: d === null });
const num = (d?: number | null, range: { min?: number; max?: number; above?: number } = {}): Field => ({ kind: 'number', default: d, nullable: d === null, ...range });
const positive = { above: 0 };
const bool = (d: boolean): Field => ({ kind: 'boolean', default: d });
const oneOf = (values: readonly string[], d?: string): Field => ({ kind: 'enum', values, default: d });
const choices = (values: readonly string[], d: string[]): Field => ({ kind: 'choices', values, default: d });
const column = (d: string | null): Field => ({ kind: 'column', default: d, nullable: true });

const SCHEMA: Section = {
  kind: 'section',
  fields: {
    model: { kind: 'section', fields: { path: str(), max_seq_length: { ...int(undefined, 1), optional: true } } },
    data: {
      kind: 'section',
      fields: {
        train: { kind: 'strings' },
        preset: { ...oneOf(Object.keys(PRESETS)), optional: true },
        columns: {
          kind: 'section',
          fields: Object.fromEntries(Object.entries(DEFAULT_COLUMNS).map(([k, v]) => [k, column(v)])),
        },
        num_negatives: int(1),
        negative_sampling: oneOf(['first', 'random', 'top'], 'first'),
        negatives_skip_top: int(0),
        negatives_max_rank: int(null, 1),
        false_negative_margin: num(null),
        shuffle: bool(true),
        shuffle_buffer: int(4096, 1),
        interleave: int(1, 1),
        batching: oneOf(['plain', 'no_duplicates', 'by_language'], 'plain'),
        drop_last: bool(false),
        on_bad_record: oneOf(['error', 'skip'], 'error'),
        beir_split: str('train'),
        tokenize_workers: int(2, 1),
        prefetch: int(32, 1),
        // sentence-transformers' `prompts`: one text for every column, or column -> text
        prompts: { kind: 'prompts', default: { query: '', positive: '', negatives: '' } },
      },
    },
    loss: {
      kind: 'section',
      fields: {
        name: oneOf(['mnrl', 'cached_mnrl', 'margin_mse']),
        scale: num(20, positive),
        symmetric: bool(false),
        mini_batch_size: int(32, 1),
        // sentence-transformers' name: under MPI, in-batch negatives from every rank
        gather_across_devices: bool(false),
      },
    },
    train: {
      kind: 'section',
      fields: {
        batch_size: int(32, 1),
        lr: num(2e-5, positive),
        weight_decay: num(0.01, { min: 0 }),
        schedule: oneOf(['constant', 'linear', 'cosine'], 'linear'),
        warmup_steps: { ...int(0), optional: true }, // optional: `--train.warmup_steps null` drops it
        warmup_ratio: { ...num(undefined, { min: 0, max: 1 }), optional: true }, // or warmup_steps, not both
        max_steps: int(null, 1),
        epochs: int(1, 1),
        max_grad_norm: { ...num(1.0, positive), nullable: true }, // null: no clipping
        gradient_accumulation_steps: int(1, 1),
        seed: int(0),
        output_dir: str(),
        save_every: int(500, 1),
        save_total_limit: int(3, 1),
        resume: { kind: 'string', default: null, nullable: true },
        engine: oneOf(['auto', 'tfjs', 'onnx'], 'auto'),
        execution_provider: oneOf(['cpu', 'cuda', 'dml', 'coreml'], 'cpu'), // the onnx engine's
        memory_budget: str('auto'), // the onnx engine's peak memory: micro-batches in as few step-graph parts as fit; auto: 80% of what is available; none: chunk by chunk
        report_to: choices(['tensorboard', 'none'], []), // a name or a list; none: nothing
      },
    },
    eval: { kind: 'section', optional: true, fields: { data: str(), every: int(500, 1), split: str('test') } },
  },
};

/** Where each value came from, for messages: the recipe file, or the command line for overrides. */
interface Source {
  file: string;
  overridden: Set<string>;
}

export function loadRecipe(file: string, overrides: Record<string, string> = {}): Recipe {
  let doc: unknown;
  try {
    doc = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such recipe file' : `not valid YAML or JSON (${(e as Error).message})`}`);
  }
  return resolveDoc(doc, overrides, file);
}

function resolveDoc(doc: unknown, overrides: Record<string, string>, file: string): Recipe {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${file}: a recipe is a mapping with model, data, loss and train`);
  const root = doc as Record<string, unknown>;
  const src: Source = { file, overridden: new Set() };
  for (const [key, value] of Object.entries(overrides)) applyOverride(root, key, value, src);

  const recipe = checkSection(root, SCHEMA, '', src) as unknown as Recipe;
  const t = (root.train ?? {}) as Record<string, unknown>;
  // transformers lets warmup_steps > 0 win over warmup_ratio silently; here a run does what one key
  // says. warmup_steps 0 means none, as in transformers, so the ratio applies (a resolved recipe has both).
  if (t.warmup_steps !== undefined && t.warmup_steps !== 0 && t.warmup_ratio !== undefined && t.warmup_ratio !== null) {
    const [typed, other] = src.overridden.has('train.warmup_ratio') ? ['train.warmup_ratio', 'train.warmup_steps'] : ['train.warmup_steps', 'train.warmup_ratio'];
    throw new Error(
      `${where(typed, src)}: train.warmup_steps (${t.warmup_steps}) and train.warmup_ratio (${t.warmup_ratio}) are both set; set one of them` +
        (src.overridden.has(typed) && !src.overridden.has(other) ? ` (--${other} null drops the recipe's value)` : ''),
    );
  }
  parseMemoryBudget(recipe.train.memory_budget, where('train.memory_budget', src));
  const given = (root.data as Record<string, unknown>).columns as Record<string, unknown> | undefined;
  const preset = recipe.data.preset ? PRESETS[recipe.data.preset] : {};
  recipe.data.columns = { ...DEFAULT_COLUMNS, ...preset, ...pick(recipe.data.columns, Object.keys(given ?? {})) };
  const problems = dataConfigProblems(recipe.data, recipe.loss.name);
  if (problems.length > 0) throw new Error(`${file}: ${problems.join('; ')}`);
  if (recipe.loss.gather_across_devices && recipe.loss.name === 'margin_mse') {
    throw new Error(`${file}: loss.gather_across_devices gathers in-batch negatives, which margin_mse does not score; use mnrl or cached_mnrl, or drop it`);
  }
  return recipe;
}

/** Every key a recipe (and so a `--dotted.key` override) can set, e.g. `train.lr`. */
export function recipeKeys(): string[] {
  return keysOf(SCHEMA, '');
}

function keysOf(section: Section, at: string): string[] {
  return Object.entries(section.fields).flatMap(([k, spec]) => (spec.kind === 'section' ? keysOf(spec, join(at, k)) : [join(at, k)]));
}

/** The top-level sections (`model`, `data`, ...): a flag that starts with one is an override. */
export const RECIPE_SECTIONS: readonly string[] = Object.keys(SCHEMA.fields);

function pick<T extends object>(o: T, keys: string[]): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => keys.includes(k))) as Partial<T>;
}

/** `train.lr` = "2e-5" -> doc.train.lr = 2e-5. The value is read by the key's kind, never as
 * YAML: a string key keeps the raw text (`runs/exp #2`, `2024`). */
function applyOverride(root: Record<string, unknown>, key: string, value: string, src: Source): void {
  const parts = key.split('.');
  let section: Section = SCHEMA;
  let obj = root;
  for (const [i, part] of parts.entries()) {
    const spec: Field | Section | undefined = section.fields[part];
    const at = parts.slice(0, i + 1).join('.');
    if (!spec) {
      const hint = didYouMean(key, recipeKeys());
      throw new Error(`override --${key}: unknown key "${at}" (recipe ${src.file})${hint ? `; did you mean --${hint}?` : suggest(section)}`);
    }
    if (i === parts.length - 1) {
      if (spec.kind === 'section')
        throw new Error(`override --${key}: "${at}" is a section, not a value; set one of its keys, e.g. --${keysOf(spec, at)[0]} VALUE (recipe ${src.file})`);
      const v = overrideValue(value, spec);
      if (v === undefined) delete obj[part];
      else obj[part] = v;
      src.overridden.add(at);
      return;
    }
    if (spec.kind !== 'section') throw new Error(`override --${key}: "${at}" is a value, not a section (recipe ${src.file})`);
    const next = obj[part];
    if (next === undefined || next === null) obj[part] = {};
    else if (typeof next !== 'object' || Array.isArray(next)) throw new Error(`${src.file}: "${at}" must be a mapping`);
    obj = obj[part] as Record<string, unknown>;
    section = spec;
  }
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A command-line value as the key's kind reads it. What does not read stays the raw string, so
 * that checkLeaf names the key and the value. `null` clears an optional key (undefined). */
function overrideValue(raw: string, spec: Field): unknown {
  if (raw === 'null' && (spec.nullable || spec.optional)) return spec.nullable ? null : undefined;
  switch (spec.kind) {
    case 'string':
    case 'enum':
      return raw;
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    case 'number':
    case 'integer':
      return NUMBER.test(raw) ? Number(raw) : raw;
    case 'strings':
    case 'column':
    case 'choices':
      return listValue(raw) ?? raw;
    case 'prompts':
      return mappingValue(raw) ?? raw;
  }
}

/** `[a, b]` (YAML flow or JSON) as a list of strings; anything else (`[ab].jsonl`, a glob) is not one. */
function listValue(raw: string): string[] | undefined {
  if (!/^\[.*\]$/s.test(raw.trim())) return undefined;
  try {
    const v = YAML.parse(raw);
    return Array.isArray(v) ? v.map(String) : undefined;
  } catch {
    return undefined;
  }
}

/** `{a: b}` (YAML flow or JSON) as a mapping; anything else is a plain string. */
function mappingValue(raw: string): Record<string, unknown> | undefined {
  if (!/^\{.*\}$/s.test(raw.trim())) return undefined;
  try {
    const v = YAML.parse(raw);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function where(path: string, src: Source): string {
  return src.overridden.has(path) ? `--${path} (command line)` : src.file;
}

function checkSection(value: unknown, section: Section, at: string, src: Source): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${src.file}: "${at}" must be a mapping (got ${JSON.stringify(value)})`);
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj))
    if (!(key in section.fields)) {
      const hint = didYouMean(join(at, key), keysOf(SCHEMA, ''));
      throw new Error(`${src.file}: unknown key "${join(at, key)}"${suggest(section)}${hint ? `; did you mean ${hint}?` : ''}`);
    }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(section.fields)) {
    const path = join(at, key);
    const v = obj[key];
    if (spec.kind === 'section') {
      if (v === undefined && spec.optional) continue;
      out[key] = checkSection(v ?? {}, spec, path, src);
      continue;
    }
    if (v === undefined) {
      if (spec.default !== undefined) out[key] = spec.default;
      else if (!spec.optional) throw new Error(`${src.file}: "${path}" is required`);
      continue;
    }
    out[key] = checkLeaf(v, spec, path, src);
  }
  return out;
}

function checkLeaf(v: unknown, spec: Field, path: string, src: Source): unknown {
  const bad = (want: string): Error => new Error(`${where(path, src)}: "${path}" must be ${want} (got ${typeof v === 'number' ? String(v) : JSON.stringify(v)})`);
  if (v === null) {
    if (spec.nullable) return null;
    throw bad('set (null is not allowed here)');
  }
  switch (spec.kind) {
    case 'string':
      if (typeof v !== 'string' || v === '') throw bad('a non-empty string');
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') throw bad('true or false');
      return v;
    case 'number':
    case 'integer':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('a number');
      if (spec.kind === 'integer' && !Number.isInteger(v)) throw bad('an integer');
      if (outOfRange(v, spec)) throw bad(rangeText(spec) + (spec.nullable ? ', or null' : ''));
      return v;
    case 'enum':
      if (typeof v !== 'string' || !spec.values.includes(v)) throw bad(`one of ${spec.values.join(', ')}`);
      return v;
    case 'choices': {
      const list = typeof v === 'string' ? [v] : v;
      if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && spec.values.includes(x))) throw bad(`one of ${spec.values.join(', ')}, or a list of them`);
      return [...new Set(list.filter((x) => x !== 'none'))];
    }
    case 'strings':
      if (typeof v === 'string') return [v];
      if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string')) throw bad('a path or a list of paths');
      return v;
    case 'column':
      if (typeof v === 'string' || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string'))) return v;
      throw bad('a column path, a list of columns, or null');
    case 'prompts': {
      if (typeof v === 'string') return { query: v, positive: v, negatives: v };
      if (typeof v !== 'object' || Array.isArray(v)) throw bad(`a prompt text for every column, or a mapping of ${PROMPT_COLUMNS.join(', ')} to prompt texts`);
      const out: Record<string, string> = { query: '', positive: '', negatives: '' };
      for (const [k, text] of Object.entries(v as Record<string, unknown>)) {
        if (!(PROMPT_COLUMNS as readonly string[]).includes(k))
          throw new Error(`${where(path, src)}: "${path}.${k}" is not a column that takes a prompt (${PROMPT_COLUMNS.join(', ')})`);
        if (typeof text !== 'string') throw new Error(`${where(path, src)}: "${path}.${k}" must be a prompt text (got ${JSON.stringify(text)})`);
        out[k] = text;
      }
      return out;
    }
  }
}

type Range = { min?: number; max?: number; above?: number };

function outOfRange(v: number, r: Range): boolean {
  return (r.min !== undefined && v < r.min) || (r.max !== undefined && v > r.max) || (r.above !== undefined && v <= r.above);
}

function rangeText(r: Range): string {
  if (r.min !== undefined && r.max !== undefined) return `in [${r.min}, ${r.max}]`;
  if (r.above !== undefined) return `> ${r.above}`;
  return r.max !== undefined ? `at most ${r.max}` : `at least ${r.min}`;
}

function join(at: string, key: string): string {
  return at ? `${at}.${key}` : key;
}

function suggest(section: Section): string {
  return ` (known: ${Object.keys(section.fields).join(', ')})`;
}

/** A recipe as a library caller writes it: the required keys, any others (defaults fill the rest). */
export type RecipeInput = DeepPartial<Recipe> & {
  model: { path: string };
  data: { train: string[] };
  loss: { name: Recipe['loss']['name'] };
  train: { output_dir: string };
};
type DeepPartial<T> = {
  [K in keyof T]?: NonNullable<T[K]> extends readonly unknown[] ? T[K] : NonNullable<T[K]> extends object ? DeepPartial<NonNullable<T[K]>> : T[K];
};

/**
 * A recipe from an object (as `loadRecipe` reads from a file), with the same checks and defaults;
 * `source` names it in errors. The caller's object is not modified. A resolved recipe resolves to itself.
 */
export function resolveRecipe(input: RecipeInput | Recipe, overrides: Record<string, string> = {}, source = 'recipe object'): Recipe {
  return resolveDoc(structuredClone(input), overrides, source);
}
