// TensorBoard event files read back byte by byte (test/helpers/tfevents.ts): TFRecord framing,
// both masked CRC-32Cs checked with a bitwise CRC-32C (itself checked against the standard check
// value), and the Event protobufs decoded by protobufjs from event.proto / summary.proto fields.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32c, maskedCrc32c } from '../../src/train/crc32c.js';
import { openTensorBoard, rowScalars } from '../../src/train/tensorboard.js';
import { bitwiseCrc32c, maskCrc as mask, readEvents, readRecords } from '../helpers/tfevents.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-tb-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

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

    const events = readEvents(tb.file);
    expect(events).toHaveLength(3);
    expect(events[0]).toEqual({ wallTime: 1_700_000_000.5, step: 0, fileVersion: 'brain.Event:2' });
    expect(events[1]).toEqual({ wallTime: 1_700_000_002, step: 0, summary: { value: [{ tag: 'eval/ndcg@10', simpleValue: 0.25 }] } });
    expect(events[2].wallTime).toBe(1_700_000_002.25);
    expect(events[2].step).toBe(3_000_000_000); // past 32 bits: the varint is a real int64
    const values = Object.fromEntries(events[2].summary!.value.map((v) => [v.tag, v.simpleValue]));
    expect(Object.keys(values)).toEqual(['train/epoch', 'train/loss', 'train/lr', 'train/grad_norm', 'train/triples_per_s', 'eval/ndcg@10']);
    expect(values['train/loss']).toBe(1.5);
    expect(values['train/lr']).toBe(Math.fround(2e-5)); // simple_value is a float32
    expect(values['train/triples_per_s']).toBe(123.5);
  });

  it('the reader rejects a flipped bit in the data (so the CRC checks are live)', () => {
    const tb = openTensorBoard(path.join(tmp, 'flip'), () => 1000);
    tb.scalars(1, { 'train/loss': 2 });
    const buf = fs.readFileSync(tb.file);
    buf[buf.length - 6] ^= 1; // inside the last record's data
    fs.writeFileSync(tb.file, buf);
    expect(() => readRecords(tb.file)).toThrow(/bad data CRC/);
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
