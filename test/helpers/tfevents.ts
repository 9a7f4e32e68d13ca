// Reading TensorBoard event files back for the tests, independently of src/: TFRecord framing with
// both masked CRC-32Cs checked by a bitwise CRC-32C, Event protobufs decoded by protobufjs from
// the field definitions of tensorflow's event.proto and summary.proto.
import fs from 'node:fs';
import protobuf from 'protobufjs';

/** CRC-32C bit by bit, no table. */
export function bitwiseCrc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0x82f63b78 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}

export const maskCrc = (c: number) => ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;

const root = protobuf.parse(`
  syntax = "proto3";
  package tensorflow;
  message SummaryValue { string node_name = 7; string tag = 1; float simple_value = 2; }
  message Summary { repeated SummaryValue value = 1; }
  message Event { double wall_time = 1; int64 step = 2; string file_version = 3; bytes graph_def = 4; Summary summary = 5; }
`).root;
const Event = root.lookupType('tensorflow.Event');

/** The records of a file; throws on a bad length or CRC. */
export function readRecords(file: string): Uint8Array[] {
  const buf = fs.readFileSync(file);
  const out: Uint8Array[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < 16) throw new Error(`${file}: truncated record at byte ${pos}`);
    const len = Number(buf.readBigUInt64LE(pos));
    if (buf.readUInt32LE(pos + 8) !== maskCrc(bitwiseCrc32c(buf.subarray(pos, pos + 8)))) throw new Error(`${file}: bad length CRC at byte ${pos}`);
    const data = buf.subarray(pos + 12, pos + 12 + len);
    if (data.length !== len || pos + 16 + len > buf.length) throw new Error(`${file}: truncated data at byte ${pos}`);
    if (buf.readUInt32LE(pos + 12 + len) !== maskCrc(bitwiseCrc32c(data))) throw new Error(`${file}: bad data CRC at byte ${pos}`);
    out.push(data);
    pos += 16 + len;
  }
  return out;
}

export interface DecodedEvent {
  wallTime: number;
  step?: number;
  fileVersion?: string;
  summary?: { value: { tag: string; simpleValue: number }[] };
}

export function readEvents(file: string): DecodedEvent[] {
  return readRecords(file).map((r) => Event.toObject(Event.decode(r), { longs: Number }) as DecodedEvent);
}
