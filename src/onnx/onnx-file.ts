// Serialising a `Graph` to an .onnx file. A protobuf message cannot exceed 2 GiB, so models whose
// weights pass `externalAbove` bytes keep their large tensors in ONNX external data files next to
// the model (`model.onnx_data`, `model.onnx_data_1`, ...; transformers.js's chunk names), each
// chunk under 2 GiB so browsers can hold it in one ArrayBuffer.
import fs from 'node:fs';
import path from 'node:path';
import { DATA_TYPES, type Graph, type Initializer, onnx, type proto } from './graph-builder.js';

/** IR version of the ONNX release that introduced each opset. */
const IR_VERSION: Record<number, number> = { 17: 8, 18: 8, 19: 9, 20: 9, 21: 10, 22: 10, 23: 11 };
export const SUPPORTED_OPSETS = Object.keys(IR_VERSION).map(Number);
export const DEFAULT_OPSET = 17;

/** Protobuf's hard limit is 2 GiB; leave room for the graph itself. */
const PROTOBUF_SAFE_BYTES = 1.8 * 2 ** 30;
const CHUNK_BYTES = 2 ** 31 - 2 ** 24;
/** As onnx.save_model: small tensors stay inline, large ones start at page boundaries (mmap). */
const INLINE_BELOW = 1024;
const ALIGN = 4096;

export interface WriteOptions {
  /** Total initializer bytes above which tensors go to external data. */
  externalAbove?: number;
  /** Largest external data file. */
  chunkBytes?: number;
}

export interface WrittenModel {
  /** The .onnx file and its external data files, if any. */
  files: string[];
  /** Number of external data files (0: everything inline). */
  externalChunks: number;
}

function bytesOf(t: Initializer): Buffer {
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

export function writeOnnxModel(g: Graph, file: string, opts: WriteOptions = {}): WrittenModel {
  const irVersion = IR_VERSION[g.opset];
  if (irVersion === undefined) throw new Error(`opset ${g.opset} is not supported (choose one of ${SUPPORTED_OPSETS.join(', ')})`);
  const total = g.initializers.reduce((s, t) => s + t.data.byteLength, 0);
  const external = total > (opts.externalAbove ?? PROTOBUF_SAFE_BYTES);
  const chunkBytes = opts.chunkBytes ?? CHUNK_BYTES;
  const files = [file];
  let fd = -1, offset = 0;

  const toExternal = (bytes: Buffer): proto.IStringStringEntryProto[] => {
    let start = Math.ceil(offset / ALIGN) * ALIGN;
    if (fd < 0 || start + bytes.length > chunkBytes) {
      if (fd >= 0) fs.closeSync(fd);
      const chunk = `${path.basename(file)}_data${files.length === 1 ? '' : `_${files.length - 1}`}`;
      files.push(path.join(path.dirname(file), chunk));
      fd = fs.openSync(files.at(-1)!, 'w');
      start = 0;
    }
    fs.writeSync(fd, bytes, 0, bytes.length, start);
    offset = start + bytes.length;
    return [
      { key: 'location', value: path.basename(files.at(-1)!) },
      { key: 'offset', value: String(start) },
      { key: 'length', value: String(bytes.length) },
    ];
  };

  let initializer: proto.ITensorProto[];
  try {
    initializer = g.initializers.map((t) => {
      const tensor: proto.ITensorProto = { name: t.name, dims: t.dims, dataType: DATA_TYPES[t.type] };
      const bytes = bytesOf(t);
      if (external && bytes.length >= INLINE_BELOW) {
        tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
        tensor.externalData = toExternal(bytes);
      } else {
        tensor.rawData = bytes;
      }
      return tensor;
    });
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
  fs.writeFileSync(file, onnx.ModelProto.encode(modelProto(g, initializer)).finish());
  return { files, externalChunks: files.length - 1 };
}

function modelProto(g: Graph, initializer: proto.ITensorProto[]): proto.IModelProto {
  return {
    irVersion: IR_VERSION[g.opset],
    opsetImport: [{ domain: '', version: g.opset }],
    producerName: 'densetrain',
    graph: { name: 'encoder', node: g.nodes, initializer, input: g.inputs, output: g.outputs },
  };
}

/**
 * The model as .onnx bytes, every tensor inline, for InferenceSession.create(bytes): no file, so
 * nothing on disk can be stale. `source` names the weights in the error past protobuf's limit.
 */
export function encodeOnnxModel(g: Graph, source: string): Uint8Array {
  if (IR_VERSION[g.opset] === undefined) throw new Error(`opset ${g.opset} is not supported (choose one of ${SUPPORTED_OPSETS.join(', ')})`);
  const total = g.initializers.reduce((s, t) => s + t.data.byteLength, 0);
  if (total > PROTOBUF_SAFE_BYTES) {
    throw new Error(`${source}: ${(total / 2 ** 30).toFixed(1)} GiB of weights do not fit one in-memory ONNX model (protobuf's 2 GiB limit)`);
  }
  const initializer = g.initializers.map((t): proto.ITensorProto => ({ name: t.name, dims: t.dims, dataType: DATA_TYPES[t.type], rawData: bytesOf(t) }));
  return onnx.ModelProto.encode(modelProto(g, initializer)).finish();
}
