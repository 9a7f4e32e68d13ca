// The record stage: reads the epoch's files (several at once when interleaving), maps and
// validates each record, samples its negatives, and deals with bad records: stop with file,
// location and field (on_bad_record: error), or log them to rejected.jsonl and count them (skip).
import type { DataConfig } from './config.js';
import { readArrow } from './arrow.js';
import { readBeirPairs } from './beir-pairs.js';
import { readJsonl } from './jsonl.js';
import type { Mapping } from './mapping.js';
import { sampleNegatives } from './negatives.js';
import { readParquet } from './parquet.js';
import { describeLocation, type Location, type RawRecord, type ReadPosition, type Reader } from './reader.js';
import type { RejectLog } from './rejects.js';
import type { Rng } from './rng.js';
import type { Source } from './sources.js';
import type { Triple } from './triple.js';

export interface Slot {
  /** Index into the source list. */
  file: number;
  pos: ReadPosition;
}

/** Where reading stands within an epoch. */
export interface ReadState {
  /** This epoch's file order (indices into the source list). */
  order: number[];
  /** Next entry of `order` to open. */
  nextFile: number;
  /** Files being read; more than one when interleaving. */
  slots: Slot[];
  /** Round-robin turn among the slots. */
  turn: number;
}

export interface RecordStats {
  records: number;
  skipped: number;
  /** Lines written to rejected.jsonl (one rejection may skip many records, e.g. a file without the columns). */
  rejections?: number;
  languages: Record<string, number>;
}

export interface RecordContext {
  sources: Source[];
  data: DataConfig;
  /** Mapping for files, and the fixed one for BEIR folders' (query, positive) pairs. */
  mapping: Mapping;
  beirMapping: Mapping;
  rejects: RejectLog;
}

export interface RecordReader {
  /** The next good record, or null when this epoch's files are all read. */
  next(): Promise<Triple | null>;
  close(): Promise<void>;
}

/** `read` and `stats` are updated in place, so the caller can snapshot them after any record. */
export function makeRecordReader(ctx: RecordContext, read: ReadState, stats: RecordStats, rng: { pick: Rng; sample: Rng }): RecordReader {
  const { data, sources } = ctx;
  const open = new Map<Slot, Reader>();

  const readerFor = (slot: Slot): Reader => {
    let r = open.get(slot);
    if (!r) {
      const src = sources[slot.file];
      const mapping = src.kind === 'beir' ? ctx.beirMapping : ctx.mapping;
      r =
        src.kind === 'parquet' ? readParquet(src, mapping.needs, slot.pos)
        : src.kind === 'arrow' ? readArrow(src, mapping.needs, slot.pos)
        : src.kind === 'beir' ? readBeirPairs(src, data.beir_split, slot.pos)
        : readJsonl(src, slot.pos);
      open.set(slot, r);
    }
    return r;
  };

  const reject = (src: Source, loc: Location, field: string | null, reason: string, record: unknown, count = 1): void => {
    if (data.on_bad_record === 'error') {
      const where = [src.path, describeLocation(loc), field === null ? '' : `field "${field}"`].filter(Boolean).join(': ');
      throw new Error(`${where}: ${reason} (data.on_bad_record: skip would log it to rejected.jsonl and go on)`);
    }
    ctx.rejects.write({ file: src.path, loc, field, reason, record });
    stats.skipped += count;
    stats.rejections = (stats.rejections ?? 0) + 1;
  };

  const accept = (src: Source, raw: RawRecord): Triple | null => {
    if (raw.problem) {
      reject(src, raw.loc, raw.problem.field, raw.problem.reason, raw.raw ?? raw.value, raw.count);
      return null;
    }
    const mapped = (src.kind === 'beir' ? ctx.beirMapping : ctx.mapping).map(raw.value, src.stem);
    const sampled = 'reason' in mapped ? mapped : sampleNegatives(mapped, data, rng.sample);
    if ('reason' in sampled) {
      reject(src, raw.loc, sampled.field, sampled.reason, raw.value);
      return null;
    }
    sampled.source = src.path;
    stats.records++;
    if (sampled.language !== undefined) stats.languages[sampled.language] = (stats.languages[sampled.language] ?? 0) + 1;
    return sampled;
  };

  return {
    async next() {
      for (;;) {
        while (read.slots.length < data.interleave && read.nextFile < read.order.length)
          read.slots.push({ file: read.order[read.nextFile++], pos: {} });
        if (read.slots.length === 0) return null;
        const i = data.shuffle ? rng.pick.int(read.slots.length) : read.turn % read.slots.length;
        const slot = read.slots[i];
        const r = await readerFor(slot).next();
        if (r.done) {
          open.delete(slot);
          read.slots.splice(i, 1);
          read.turn = i;
          continue;
        }
        slot.pos = r.value.after;
        read.turn = i + 1;
        const t = accept(sources[slot.file], r.value);
        if (t) return t;
      }
    },
    async close() {
      await Promise.all([...open.values()].map((r) => r.return()));
      open.clear();
    },
  };
}
