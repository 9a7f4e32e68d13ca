// What every file reader yields: one raw record at a time with where it came from, a problem
// when it could not be read, and the position just after it (so a stream can resume there).

/** Where a record sits in its file: a line, a row of a row group or record batch, a qrels pair. */
export type Location = Record<string, number | string>;

/** A reader's own resume point (line and byte for JSONL, row group and row for Parquet, ...). */
export type ReadPosition = Record<string, number>;

export interface RawRecord {
  value?: unknown;
  /** Set when the record is bad; field null means the whole record (not JSON, invalid UTF-8). */
  problem?: { field: string | null; reason: string };
  loc: Location;
  /** The line as it was in the file, kept for rejected.jsonl. */
  raw?: string;
  after: ReadPosition;
  /** The file cannot be read further (truncated .gz, missing columns): the reader stops. */
  fatal?: boolean;
  /** How many records the problem stands for (all remaining rows of a file without its columns). */
  count?: number;
}

/** Top-level columns a columnar file is read for; a file lacking a required one is bad. */
export interface ColumnNeeds {
  wanted: string[];
  required: string[];
}

export type Reader = AsyncGenerator<RawRecord, void, undefined>;

export function describeLocation(loc: Location): string {
  return Object.entries(loc)
    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`)
    .join(', ');
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
