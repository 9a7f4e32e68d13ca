// TensorBoard event files read back byte by byte: TFRecord framing, both masked CRC-32Cs checked
// with a bitwise CRC-32C written here (itself checked against the standard check value), and the
// Event protobufs decoded by protobufjs from the event.proto / summary.proto field definitions.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import protobuf from 'protobufjs';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32c, maskedCrc32c } from '../../src/train/crc32c.js';
import { openTensorBoard, rowScalars } from '../../src/train/tensorboard.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-tb-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** CRC-32C bit by bit, no table: a second implementation to check the one under test. */
function bitwiseCrc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0x82f63b78 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}
const mask = (c: number) => ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;

// The fields of tensorflow/core/util/event.proto and tensorflow/core/framework/summary.proto that the writer uses.
const root = protobuf.parse(`
  syntax = "proto3";
  package tensorflow;
  message SummaryValue { string node_name = 7; string tag = 1; float simple_value = 2; }
  message Summary { repeated SummaryValue value = 1; }
  message Event { double wall_time = 1; int64 step = 2; string file_version = 3; bytes graph_def = 4; Summary summary = 5; }
`).root;
const Event = root.lookupType('tensorflow.Event');

/** Split a file into records, checking lengths and both CRCs. */
function readRecords(file: string): Uint8Array[] {
  const buf = fs.readFileSync(file);
  const out: Uint8Array[] = [];
  let pos = 0;
  while (pos < buf.length) {
    expect(buf.length - pos).toBeGreaterThanOrEqual(16);
    const len = Number(buf.readBigUInt64LE(pos));
    expect(buf.readUInt32LE(pos + 8)).toBe(mask(bitwiseCrc32c(buf.subarray(pos, pos + 8))));
    const data = buf.subarray(pos + 12, pos + 12 + len);
    expect(data.length).toBe(len);
    expect(buf.readUInt32LE(pos + 12 + len)).toBe(mask(bitwiseCrc32c(data)));
    out.push(data);
    pos += 16 + len;
  }
  expect(pos).toBe(buf.length);
  return out;
}

describe('CRC-32C', () => {
  it('gives the standard check value and agrees with a bitwise implementation', () => {
    const check = Buffer.from('123456789', 'ascii');
    expect(crc32c(check)).toBe(0xe3069283);
    expect(bitwiseCrc32c(check)).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff);
    expect(crc32c(bytes)).toBe(bitwiseCrc32c(bytes));
    expect(maskedCrc32c(check)).toBe(mask(0xe3069283));
  });
});

describe('openTensorBoard', () => {
  it('writes a file_version event, then one event per call with its step, wall time and scalars', () => {
    let clock = 1_700_000_000_500;
    const tb = openTensorBoard(path.join(tmp, 'runs'), () => clock);
    expect(path.dirname(tb.file)).toBe(path.join(tmp, 'runs'));
    expect(path.basename(tb.file)).toMatch(/^events\.out\.tfevents\.1700000000\./);
    clock += 1500;
    tb.scalars(0, { 'eval/ndcg@10': 0.25 });
    clock += 250;
    tb.scalars(3_000_000_000, rowScalars({ step: 3_000_000_000, epoch: 1, loss: 1.5, lr: 2e-5, grad_norm: 0.75, triples_per_s: 123.5, 'eval_ndcg@10': 0.5 }));

    const events = readRecords(tb.file).map((r) => Event.toObject(Event.decode(r), { longs: Number }));
    expect(events).toHaveLength(3);
    expect(events[0]).toEqual({ wallTime: 1_700_000_000.5, step: 0, fileVersion: 'brain.Event:2' });
    expect(events[1]).toEqual({ wallTime: 1_700_000_002, step: 0, summary: { value: [{ tag: 'eval/ndcg@10', simpleValue: 0.25 }] } });
    expect(events[2].wallTime).toBe(1_700_000_002.25);
    expect(events[2].step).toBe(3_000_000_000); // past 32 bits: the varint is a real int64
    const values = Object.fromEntries(events[2].summary.value.map((v: { tag: string; simpleValue: number }) => [v.tag, v.simpleValue]));
    expect(Object.keys(values)).toEqual(['train/epoch', 'train/loss', 'train/lr', 'train/grad_norm', 'train/triples_per_s', 'eval/ndcg@10']);
    expect(values['train/loss']).toBe(1.5);
    expect(values['train/lr']).toBe(Math.fround(2e-5)); // simple_value is a float32
    expect(values['train/triples_per_s']).toBe(123.5);
  });

  it('never reuses an existing file: each writer gets a new one', () => {
    const dir = path.join(tmp, 'two');
    const a = openTensorBoard(dir, () => 5_000);
    const b = openTensorBoard(dir, () => 5_000);
    expect(a.file).not.toBe(b.file);
    a.scalars(1, { 'train/loss': 1 });
    expect(readRecords(a.file)).toHaveLength(2);
    expect(readRecords(b.file)).toHaveLength(1);
  });
});
