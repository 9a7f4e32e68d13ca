// Arrow IPC reader (file or stream format, e.g. Hugging Face `datasets` cache files): one record
// batch at a time, only the mapped columns, values turned into plain JS. Resumes at (batch, row).
import fs from 'node:fs';
import { RecordBatchReader, type Vector } from 'apache-arrow';
import type { Source } from './sources.js';
import { errorMessage, type ColumnNeeds, type ReadPosition, type Reader } from './reader.js';

export async function* readArrow(src: Source, needs: ColumnNeeds, from: ReadPosition = {}): Reader {
  const fh = await fs.promises.open(src.path);
  let batch = 0;
  try {
    let reader: Awaited<ReturnType<typeof RecordBatchReader.from>>;
    try {
      reader = await RecordBatchReader.from(fh);
      await reader.open();
    } catch (e) {
      yield { problem: { field: null, reason: `not an Arrow IPC file (${errorMessage(e)})` }, loc: {}, after: from, fatal: true };
      return;
    }
    const names = reader.schema.fields.map((f) => f.name);
    const missing = needs.required.filter((c) => !names.includes(c));
    if (missing.length > 0) {
      const reason = `column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not in the file (it has: ${names.join(', ')})`;
      yield { problem: { field: missing[0], reason }, loc: {}, after: from, fatal: true };
      return;
    }
    const columns = needs.wanted.filter((c) => names.includes(c));
    const startBatch = from.batch ?? 0;
    for await (const rb of reader) {
      if (batch < startBatch) {
        batch++;
        continue;
      }
      const vectors = columns.map((c) => [c, rb.getChild(c) as Vector] as const);
      for (let row = batch === startBatch ? (from.row ?? 0) : 0; row < rb.numRows; row++) {
        const value: Record<string, unknown> = {};
        for (const [name, vec] of vectors) value[name] = toPlain(vec.get(row));
        const after = row + 1 < rb.numRows ? { batch, row: row + 1 } : { batch: batch + 1, row: 0 };
        yield { value, loc: { batch, row }, after };
      }
      batch++;
    }
  } catch (e) {
    yield { problem: { field: null, reason: `cannot read the record batch (${errorMessage(e)})` }, loc: { batch }, after: { batch, row: 0 }, fatal: true };
  } finally {
    await fh.close();
  }
}

/** Arrow lists and structs come back as Vectors and StructRows: make them arrays and objects. */
function toPlain(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return typeof v === 'bigint' ? Number(v) : v;
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.map(toPlain);
  const json = typeof (v as { toJSON?: unknown }).toJSON === 'function' ? (v as { toJSON(): unknown }).toJSON() : v;
  if (Array.isArray(json)) return json.map(toPlain);
  if (json === null || typeof json !== 'object') return json;
  return Object.fromEntries(Object.entries(json).map(([k, x]) => [k, toPlain(x)]));
}
