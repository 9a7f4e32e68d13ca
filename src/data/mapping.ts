// Column mapping: pulls query, positive, negatives, scores and language out of a raw record by
// the recipe's column paths, and checks their types. A path may step into nested records and
// over lists: `negatives[].document` is the `document` of every element of `negatives`.
import type { ColumnMap, ColumnSpec } from './config.js';
import type { ColumnNeeds } from './reader.js';
import type { Triple } from './triple.js';

export interface FieldProblem {
  field: string;
  reason: string;
}

export interface Mapping {
  needs: ColumnNeeds;
  /** The record as a Triple holding all its negatives, or what is wrong with it. */
  map(record: unknown, stem: string): Triple | FieldProblem;
}

type Step = { key: string; each: boolean };
type Got = { value: unknown } | { reason: string; field?: string } | undefined;

const FILE_STEM = '$file';
const KEYS = ['query', 'positive', 'negatives', 'positive_score', 'negative_scores', 'language'] as const;

export function compileMapping(columns: ColumnMap, required: Set<keyof ColumnMap>): Mapping {
  const paths = new Map<string, Step[]>();
  const wanted = new Set<string>();
  const req = new Set<string>();
  for (const key of KEYS) {
    for (const spec of specList(columns[key])) {
      if (spec === FILE_STEM) continue;
      const steps = parsePath(spec, key);
      paths.set(spec, steps);
      wanted.add(steps[0].key);
      if (required.has(key)) req.add(steps[0].key);
    }
  }

  const map = (record: unknown, stem: string): Triple | FieldProblem => {
    const t: Triple = { query: '', positive: '', negatives: [] };
    for (const key of KEYS) {
      const spec = columns[key];
      if (spec === null) continue;
      const got = spec === FILE_STEM ? { value: stem } : extract(record, spec, paths, key);
      if (got === undefined) {
        if (required.has(key)) return { field: label(spec), reason: 'missing' };
        continue;
      }
      if ('reason' in got) return { field: got.field ?? label(spec), reason: got.reason };
      assign(t, key, got.value);
    }
    if (t.negativeScores && t.negativeScores.length !== t.negatives.length)
      return { field: label(columns.negative_scores), reason: `${t.negativeScores.length} scores for ${t.negatives.length} negatives` };
    return t;
  };

  return { needs: { wanted: [...wanted], required: [...req] }, map };
}

function specList(spec: ColumnSpec): string[] {
  return spec === null ? [] : Array.isArray(spec) ? spec : [spec];
}

function label(spec: ColumnSpec): string {
  return Array.isArray(spec) ? spec.join(', ') : String(spec);
}

function parsePath(spec: string, key: string): Step[] {
  const steps = spec.split('.').map((part) => {
    const each = part.endsWith('[]');
    return { key: each ? part.slice(0, -2) : part, each };
  });
  if (steps.some((s) => s.key === '') || steps.filter((s) => s.each).length > 1)
    throw new Error(`data.columns.${key}: "${spec}" is not a column path (a.b, list[].field; one [] at most)`);
  return steps;
}

/** One field's value by its spec: a single path, or a list of columns each holding one item. */
function extract(record: unknown, spec: string | string[], paths: Map<string, Step[]>, key: string): Got {
  const many = key === 'negatives' || key === 'negative_scores';
  const check = key === 'negatives' ? text : key === 'negative_scores' || key === 'positive_score' ? num : text;
  if (Array.isArray(spec)) {
    const values: unknown[] = [];
    for (const col of spec) {
      const got = follow(record, paths.get(col)!);
      if (got === undefined) return { field: col, reason: 'missing' };
      if ('reason' in got) return { field: col, ...got };
      const c = check(got.value);
      if (typeof c === 'string') return { field: col, reason: c };
      values.push(c.v);
    }
    return { value: values };
  }
  const got = follow(record, paths.get(spec)!);
  if (got === undefined || 'reason' in got) return got;
  if (!many) {
    const c = check(got.value);
    return typeof c === 'string' ? { reason: c } : { value: c.v };
  }
  if (!Array.isArray(got.value)) return { reason: `not a list (got ${describe(got.value)})` };
  const values: unknown[] = [];
  for (let i = 0; i < got.value.length; i++) {
    const c = check(got.value[i]);
    if (typeof c === 'string') return { reason: `element ${i}: ${c}` };
    values.push(c.v);
  }
  return { value: values };
}

function follow(value: unknown, steps: Step[]): Got {
  let cur = value;
  for (let i = 0; i < steps.length; i++) {
    if (cur === null || cur === undefined) return undefined;
    if (typeof cur !== 'object' || Array.isArray(cur))
      return { reason: `${steps.slice(0, i).map((s) => s.key).join('.')} is not an object (got ${describe(cur)})` };
    cur = (cur as Record<string, unknown>)[steps[i].key];
    if (cur === undefined || cur === null) return undefined;
    if (!steps[i].each) continue;
    if (!Array.isArray(cur)) return { reason: `${steps[i].key} is not a list (got ${describe(cur)})` };
    const rest = steps.slice(i + 1);
    const got = cur.map((el) => follow(el, rest));
    // a field no element has is absent (e.g. negatives without scores); one some lack is bad
    if (got.length > 0 && got.every((g) => g === undefined)) return undefined;
    const out: unknown[] = [];
    for (const [j, g] of got.entries()) {
      if (g === undefined) return { reason: `element ${j}: missing` };
      if ('reason' in g) return { reason: `element ${j}: ${g.reason}` };
      out.push(g.value);
    }
    return { value: out };
  }
  return { value: cur };
}

function text(v: unknown): { v: string } | string {
  if (typeof v !== 'string') return `not a string (got ${describe(v)})`;
  return v.trim() === '' ? 'empty' : { v };
}

function num(v: unknown): { v: number } | string {
  const n = typeof v === 'bigint' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? { v: n } : `not a number (got ${describe(v)})`;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}`;
  return typeof v;
}

function assign(t: Triple, key: (typeof KEYS)[number], v: unknown): void {
  if (key === 'query') t.query = v as string;
  else if (key === 'positive') t.positive = v as string;
  else if (key === 'negatives') t.negatives = v as string[];
  else if (key === 'positive_score') t.positiveScore = v as number;
  else if (key === 'negative_scores') t.negativeScores = v as number[];
  else t.language = v as string;
}
