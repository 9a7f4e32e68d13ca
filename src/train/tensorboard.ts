// TensorBoard event files (`train.report_to: tensorboard`): the scalars of every metrics row,
// as `events.out.tfevents.*` files under `output_dir/runs/`. The format is TFRecord framing
// (uint64 length, masked CRC-32C of the length, data, masked CRC-32C of the data) around
// tensorflow.Event protobufs; the three messages used are encoded by hand below, which is all
// TensorBoard needs: Event{wall_time = 1 (double), step = 2 (int64), file_version = 3 (string),
// summary = 5}, Summary{value = 1 (repeated)}, Summary.Value{tag = 1 (string), simple_value = 2 (float)}.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { maskedCrc32c } from './crc32c.js';

export const FILE_VERSION = 'brain.Event:2';

/** Writes scalars to one new event file; each call appends its records straight away. */
export interface TensorBoardWriter {
  file: string;
  scalars(step: number, values: Record<string, number>): void;
}

/**
 * A new event file in `logDir`. All of a run's launches write to the same folder, so TensorBoard
 * shows one curve; a resumed run's earlier steps are replaced, as TensorBoard does on a restart.
 */
export function openTensorBoard(logDir: string, now: () => number = Date.now): TensorBoardWriter {
  fs.mkdirSync(logDir, { recursive: true });
  const host = os.hostname().replace(/[^A-Za-z0-9._-]/g, '_');
  const file = path.join(logDir, `events.out.tfevents.${Math.floor(now() / 1000)}.${host}.${process.pid}.${launches++}`);
  // 'wx': a new file or an error, never someone else's file overwritten.
  fs.writeFileSync(file, frameRecord(encodeEvent({ wallTime: now() / 1000, step: 0, fileVersion: FILE_VERSION })), { flag: 'wx' });
  return {
    file,
    scalars(step, values) {
      const scalars = Object.entries(values);
      if (scalars.length > 0) fs.appendFileSync(file, frameRecord(encodeEvent({ wallTime: now() / 1000, step, scalars })));
    },
  };
}

let launches = 0;

/** A metrics row's scalars as TensorBoard tags: `eval_ndcg@10` -> `eval/ndcg@10`, `loss` -> `train/loss`. */
export function rowScalars(row: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(row)) {
    if (k === 'step') continue;
    out[k.startsWith('eval_') ? `eval/${k.slice(5)}` : `train/${k}`] = v;
  }
  return out;
}

/** An evaluation's metrics as TensorBoard tags: `ndcg@10` -> `eval/ndcg@10`. */
export function evalScalars(metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`eval/${k}`, v]));
}

export interface EventFields {
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars?: [string, number][];
}

export function encodeEvent(e: EventFields): Uint8Array {
  const w = new ProtoWriter();
  w.tag(1, 1).double(e.wallTime);
  w.tag(2, 0).varint(e.step);
  if (e.fileVersion !== undefined) w.tag(3, 2).bytes(Buffer.from(e.fileVersion, 'utf8'));
  if (e.scalars) {
    const summary = new ProtoWriter();
    for (const [tag, value] of e.scalars) {
      const v = new ProtoWriter();
      v.tag(1, 2).bytes(Buffer.from(tag, 'utf8'));
      v.tag(2, 5).float(value);
      summary.tag(1, 2).bytes(v.finish());
    }
    w.tag(5, 2).bytes(summary.finish());
  }
  return w.finish();
}

/** One TFRecord: length (uint64 LE), masked CRC-32C of those 8 bytes, data, masked CRC-32C of the data. */
export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

/** The protobuf wire format, as much of it as the three messages need. */
class ProtoWriter {
  private parts: Buffer[] = [];

  tag(field: number, wireType: 0 | 1 | 2 | 5): this {
    return this.varint(field * 8 + wireType);
  }

  varint(n: number): this {
    if (!(Number.isSafeInteger(n) && n >= 0)) throw new Error(`protobuf varint: ${n} is not a non-negative integer`);
    const bytes: number[] = [];
    let v = BigInt(n);
    do {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      bytes.push(v > 0n ? b | 0x80 : b);
    } while (v > 0n);
    this.parts.push(Buffer.from(bytes));
    return this;
  }

  double(x: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(x);
    this.parts.push(b);
    return this;
  }

  float(x: number): this {
    const b = Buffer.alloc(4);
    b.writeFloatLE(x);
    this.parts.push(b);
    return this;
  }

  bytes(data: Uint8Array): this {
    this.varint(data.length);
    this.parts.push(Buffer.from(data));
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}
