// The safetensors format: 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}}, then the raw little-endian tensor bytes.
// https://github.com/huggingface/safetensors#format
import fs from 'node:fs';
import path from 'node:path';

/** A float32 tensor as plain data: what we read from and write to model files. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}
export type TensorMap = Map<string, HostTensor>;

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4 };

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Decode one tensor's bytes to float32 (F32, F16, BF16, F64 and integer tensors). */
function toFloat32(buf: Buffer, dtype: string, file: string, name: string): Float32Array {
  const n = buf.byteLength / BYTES[dtype];
  const out = new Float32Array(n);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
    case 'BF16':
      for (let i = 0; i < n; i++) {
        out[i] = new Float32Array(new Uint32Array([view.getUint16(i * 2, true) << 16]).buffer)[0];
      }
      break;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      break;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      break;
    default:
      throw new Error(`${file}: tensor "${name}" has dtype ${dtype}, which densetrain cannot read`);
  }
  return out;
}

/** Read every tensor of one .safetensors file as float32, tensor by tensor (files over 2 GiB too). */
export function readSafetensors(file: string): TensorMap {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    throw new Error(`${file}: missing`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const read = (pos: number, len: number): Buffer => {
      const buf = Buffer.alloc(len);
      let got = 0;
      while (got < len) {
        const n = fs.readSync(fd, buf, got, len - got, pos + got);
        if (n === 0) break;
        got += n;
      }
      return buf;
    };
    if (size < 8) throw new Error(`${file}: not a safetensors file (shorter than its 8-byte header length)`);
    const headerLen = Number(read(0, 8).readBigUInt64LE(0));
    if (8 + headerLen > size) throw new Error(`${file}: truncated (header of ${headerLen} bytes does not fit)`);
    let header: Record<string, any>;
    try {
      header = JSON.parse(read(8, headerLen).toString('utf8'));
    } catch (e) {
      throw new Error(`${file}: header is not valid JSON (${(e as Error).message})`);
    }
    const base = 8 + headerLen;
    const out: TensorMap = new Map();
    for (const [name, info] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const [begin, end] = info.data_offsets as [number, number];
      if (base + end > size) throw new Error(`${file}: tensor "${name}" runs past the end of the file (truncated?)`);
      const count = (info.shape as number[]).reduce((a, b) => a * b, 1);
      if (BYTES[info.dtype] === undefined) throw new Error(`${file}: tensor "${name}" has dtype ${info.dtype}, which densetrain cannot read`);
      if (end - begin !== count * BYTES[info.dtype]) throw new Error(`${file}: tensor "${name}" has ${end - begin} bytes for shape [${info.shape}] ${info.dtype}`);
      out.set(name, { shape: info.shape, data: toFloat32(read(base + begin, end - begin), info.dtype, file, name) });
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/** Read model weights from a folder: model.safetensors, or shards listed in model.safetensors.index.json. */
export function readModelWeights(dir: string): TensorMap {
  const index = path.join(dir, 'model.safetensors.index.json');
  if (fs.existsSync(index)) {
    let weightMap: Record<string, string>;
    try {
      weightMap = JSON.parse(fs.readFileSync(index, 'utf8')).weight_map;
    } catch (e) {
      throw new Error(`${index}: not valid JSON (${(e as Error).message})`);
    }
    if (!weightMap || typeof weightMap !== 'object') throw new Error(`${index}: no "weight_map" object`);
    const out: TensorMap = new Map();
    for (const shard of new Set(Object.values(weightMap))) {
      for (const [k, v] of readSafetensors(path.join(dir, shard))) out.set(k, v);
    }
    return out;
  }
  const single = path.join(dir, 'model.safetensors');
  if (!fs.existsSync(single)) {
    throw new Error(`${dir}: no model.safetensors (nor model.safetensors.index.json); densetrain reads safetensors weights only`);
  }
  return readSafetensors(single);
}

/** The safetensors header (names sorted as the Python library writes them), padded to keep data 8-byte aligned. */
function headerBytes(tensors: TensorMap, metadata: Record<string, string>): { names: string[]; header: Buffer } {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const body = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(body.length));
  return { names, header: Buffer.concat([len, body]) };
}

/** Write float32 tensors as safetensors, tensor by tensor (no single buffer: files over 2 GiB too). */
export function writeSafetensors(file: string, tensors: TensorMap, metadata: Record<string, string> = { format: 'pt' }): void {
  const { names, header } = headerBytes(tensors, metadata);
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, header);
    for (const name of names) {
      const d = tensors.get(name)!.data;
      const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
      // writeSync takes at most 2 GiB at once
      for (let pos = 0; pos < bytes.length; pos += 1 << 30) fs.writeSync(fd, bytes.subarray(pos, Math.min(bytes.length, pos + (1 << 30))));
    }
  } finally {
    fs.closeSync(fd);
  }
}
