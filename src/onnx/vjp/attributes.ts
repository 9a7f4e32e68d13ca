// Reading a forward node's attributes (protobufjs may hand integers back as Long-likes).
import type { proto } from '../graph-builder.js';

function find(n: proto.INodeProto, name: string): proto.IAttributeProto | undefined {
  return n.attribute?.find((a) => a.name === name);
}

export function attrInt(n: proto.INodeProto, name: string, fallback: number): number {
  const a = find(n, name);
  return a?.i === undefined || a.i === null ? fallback : Number(a.i);
}

export function attrInts(n: proto.INodeProto, name: string): number[] | undefined {
  const a = find(n, name);
  return a?.ints ? a.ints.map(Number) : undefined;
}

export function inputs(n: proto.INodeProto): string[] {
  return n.input ?? [];
}

export function output(n: proto.INodeProto, i = 0): string {
  return n.output![i];
}
