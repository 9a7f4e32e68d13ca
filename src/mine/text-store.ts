// The corpus texts on disk instead of in memory: appended UTF-8 to a scratch file (next to the
// output, whose disk has room for it anyway) and read back by offset when a document is
// embedded, indexed, scored or written. Memory per document: its offset and length (12 bytes)
// and, while the corpus is built, one hash-table entry to drop duplicates (a 48-bit hash of the
// text; a hash shared by two different texts is checked against the file, never trusted).
import { createHash } from 'node:crypto';
import fs from 'node:fs';

const FLUSH_BYTES = 1 << 20;

export class TextStore {
  private fd: number;
  private offsets = new Float64Array(1024);
  private lengths = new Uint32Array(1024);
  private count = 0;
  private bytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private byHash: Map<number, number> | null = new Map();
  /** Texts whose hash an earlier, different text already has (rare). */
  private collided = new Map<string, number>();

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'wx+');
  }

  get size(): number {
    return this.count;
  }

  /** The id of `text`, added if it is new. */
  add(text: string): { id: number; added: boolean } {
    if (!this.byHash) throw new Error('TextStore: add after seal');
    const h = hash48(text);
    const seen = this.byHash.get(h);
    if (seen !== undefined) {
      if (this.get(seen) === text) return { id: seen, added: false };
      const other = this.collided.get(text);
      if (other !== undefined) return { id: other, added: false };
      const id = this.append(text);
      this.collided.set(text, id);
      return { id, added: true };
    }
    const id = this.append(text);
    this.byHash.set(h, id);
    return { id, added: true };
  }

  /** No more additions: the duplicate table is dropped. */
  seal(): void {
    this.byHash = null;
    this.collided.clear();
    this.flush();
  }

  get(id: number): string {
    if (!(id >= 0 && id < this.count)) throw new Error(`TextStore: no document ${id}`);
    this.flush();
    const buf = Buffer.allocUnsafe(this.lengths[id]);
    const read = fs.readSync(this.fd, buf, 0, buf.length, this.offsets[id]);
    if (read !== buf.length) throw new Error(`${this.file}: read ${read} of ${buf.length} bytes of document ${id} (was the file changed?)`);
    return buf.toString('utf8');
  }

  slice(start: number, end: number): string[] {
    const out: string[] = [];
    for (let i = start; i < Math.min(end, this.count); i++) out.push(this.get(i));
    return out;
  }

  /** Close and delete the scratch file. */
  close(): void {
    fs.closeSync(this.fd);
    fs.rmSync(this.file, { force: true });
  }

  private append(text: string): number {
    const b = Buffer.from(text, 'utf8');
    if (this.count === this.offsets.length) {
      this.offsets = grow(this.offsets, new Float64Array(this.count * 2));
      this.lengths = grow(this.lengths, new Uint32Array(this.count * 2));
    }
    this.offsets[this.count] = this.bytes;
    this.lengths[this.count] = b.length;
    this.bytes += b.length;
    this.pending.push(b);
    this.pendingBytes += b.length;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
    return this.count++;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const data = Buffer.concat(this.pending);
    fs.writeSync(this.fd, data, 0, data.length, this.bytes - data.length);
    this.pending = [];
    this.pendingBytes = 0;
  }
}

function grow<T extends Float64Array | Uint32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** The first 48 bits of the text's SHA-1, as a number (a Map key without allocation per lookup). */
function hash48(text: string): number {
  return createHash('sha1').update(text).digest().readUIntBE(0, 6);
}
