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

/** Read every tensor of one .safetensors file as float32. */
export function readSafetensors(file: string): TensorMap {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    throw new Error(`${file}: missing`);
  }
  if (bytes.length < 8) throw new Error(`${file}: not a safetensors file (shorter than its 8-byte header length)`);
  const headerLen = Number(bytes.readBigUInt64LE(0));
  if (8 + headerLen > bytes.length) throw new Error(`${file}: truncated (header of ${headerLen} bytes does not fit)`);
  let header: Record<string, any>;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8'));
  } catch (e) {
    throw new Error(`${file}: header is not valid JSON (${(e as Error).message})`);
  }
  const base = 8 + headerLen;
  const out: TensorMap = new Map();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = info.data_offsets as [number, number];
    if (base + end > bytes.length) throw new Error(`${file}: tensor "${name}" runs past the end of the file (truncated?)`);
    const count = (info.shape as number[]).reduce((a, b) => a * b, 1);
    if (BYTES[info.dtype] === undefined) throw new Error(`${file}: tensor "${name}" has dtype ${info.dtype}, which densetrain cannot read`);
    if ((end - begin) !== count * BYTES[info.dtype]) throw new Error(`${file}: tensor "${name}" has ${end - begin} bytes for shape [${info.shape}] ${info.dtype}`);
    out.set(name, { shape: info.shape, data: toFloat32(bytes.subarray(base + begin, base + end), info.dtype, file, name) });
  }
  return out;
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

/** Serialise tensors (float32) into safetensors bytes, names sorted as the Python library does. */
export function encodeSafetensors(tensors: TensorMap, metadata: Record<string, string> = { format: 'pt' }): Buffer {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // keep data 8-byte aligned
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    Buffer.from(d.buffer, d.byteOffset, d.byteLength).copy(out, pos);
    pos += d.byteLength;
  }
  return out;
}

export function writeSafetensors(file: string, tensors: TensorMap, metadata?: Record<string, string>): void {
  fs.writeFileSync(file, encodeSafetensors(tensors, metadata));
}
