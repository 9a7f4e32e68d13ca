// `densetrain embed` input and output safety: the input's format is read from its content (a
// JSONL file named .json is JSONL, a mix is an error), bad bytes and cut-short gzip name the file
// and the line, --output may not be the input, and the output is written through a pid-owned
// temporary file that a later run removes once its owner is dead.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readTexts, removeStaleTemps } from '../../src/cli/embed.js';
import { maxAbsDiff } from '../helpers/reference-encoder.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
let tmp: string;
const file = (name: string, content: string | Buffer) => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, content);
  return f;
};
const jsonl = (texts: string[]) => texts.map((text, id) => JSON.stringify({ id, text })).join('\n') + '\n';

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-embed-input-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function embed(input: string, output: string, ...extra: string[]): Promise<number> {
  const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    return await main(['embed', '--model', `${FIX}tiny-bert`, '--input', input, '--output', output, '--backend', 'wasm', ...extra]);
  } finally {
    spy.mockRestore();
  }
}

describe('the input format comes from the content', () => {
  it('JSONL named .json, .JSONL, or with no extension is read as JSONL', () => {
    for (const name of ['in.json', 'IN.JSONL', 'in', 'in.txt']) expect(readTexts(file(name, jsonl(['a b', '{not json}', '']))), name).toEqual(['a b', '{not json}', '']);
    expect(readTexts(file('gz.JSON.GZ', zlib.gzipSync(jsonl(['x']))))).toEqual(['x']);
  });

  it('plain text stays plain, empty lines included; blank lines do not make a JSONL file ambiguous', () => {
    expect(readTexts(file('plain.json', 'first\n\n"quoted"\n[1, 2]\n'))).toEqual(['first', '', '"quoted"', '[1, 2]']);
    expect(() => readTexts(file('gap.json', '{"text": "a"}\n\n{"text": "b"}\n'))).toThrow(`${path.join(tmp, 'gap.json')}:2: not a JSON object`);
  });

  it('some lines JSON objects and some not is an error naming both lines; --input-format decides', () => {
    const f = file('mixed.json', 'plain text\n{"text": "object"}\n');
    expect(() => readTexts(f)).toThrow(`${f}: cannot tell JSONL from plain text: line 2 is a JSON object but line 1 is not; fix the file, or pass --input-format jsonl or --input-format text`);
    expect(readTexts(f, 'text')).toEqual(['plain text', '{"text": "object"}']);
    expect(() => readTexts(f, 'jsonl')).toThrow(`${f}:1: not a JSON object`);
    // .jsonl is JSONL whatever the lines: the bad line is named.
    const g = file('mixed.jsonl', '{"text": "object"}\nplain text\n');
    expect(() => readTexts(g)).toThrow(`${g}:2: not a JSON object`);
  });

  it('through the CLI: a .json JSONL file embeds the text fields, equal to sentence-transformers (1e-5)', async () => {
    const { texts, embeddings } = JSON.parse(fs.readFileSync(`${FIX}tiny-bert.expected.json`, 'utf8'));
    const input = file('fixture.json', jsonl(texts));
    const output = path.join(tmp, 'fixture-out.jsonl');
    expect(await embed(input, output, '--batch-size', '5')).toBe(0);
    const rows = fs.readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l).embedding);
    expect(rows).toHaveLength(texts.length);
    expect(maxAbsDiff(rows, embeddings)).toBeLessThan(1e-5);
  });
});

describe('bad bytes name the file and the line', () => {
  it('invalid UTF-8', () => {
    const f = file('latin1.txt', Buffer.concat([Buffer.from('ok\nfine\ncaf'), Buffer.from([0xe9]), Buffer.from('\nlast\n')]));
    expect(() => readTexts(f)).toThrow(`${f}:3: not valid UTF-8 text`);
  });

  it('a cut-short .gz names the line where the data stops and how many lines are readable', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `text number ${i} ${'x'.repeat(i % 50)}`);
    const full = zlib.gzipSync(lines.join('\n') + '\n');
    const f = file('cut.txt.gz', full.subarray(0, Math.floor(full.length / 2)));
    let message = '';
    try {
      readTexts(f);
    } catch (e) {
      message = (e as Error).message;
    }
    const m = new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+): the gzip data is cut short or damaged in this line \\(.*\\); lines 1-(\\d+) are readable$`).exec(message);
    expect(m, message).not.toBeNull();
    const [line, readable] = [Number(m![1]), Number(m![2])];
    expect(line).toBe(readable + 1);
    // Half the compressed bytes hold roughly half the lines (repetitive text compresses evenly).
    expect(readable).toBeGreaterThan(500);
    expect(readable).toBeLessThan(1500);
  });
});

describe('the output never replaces the input and is written through a temporary file', () => {
  it('--output equal to --input, however spelled or linked, is an error and the input is untouched', async () => {
    const input = file('same.txt', 'hello\n');
    const spellings = [input, path.join(tmp, '.', 'sub', '..', 'same.txt'), path.relative(process.cwd(), input)];
    fs.mkdirSync(path.join(tmp, 'sub'), { recursive: true });
    fs.symlinkSync(input, path.join(tmp, 'link.txt'));
    for (const output of [...spellings, path.join(tmp, 'link.txt')]) {
      await expect(embed(input, output)).rejects.toThrow(`--output ${output} is the input file; write the embeddings to another file`);
    }
    expect(fs.readFileSync(input, 'utf8')).toBe('hello\n');
  });

  it("a dead run's temporary file is removed on the next start; a live one's and other files are kept", async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const out = path.join(tmp, 'out.jsonl');
    const names = {
      dead: `out.jsonl.densetrain.tmp-${dead}`,
      self: `out.jsonl.densetrain.tmp-${process.pid}`,
      parent: `out.jsonl.densetrain.tmp-${process.ppid}`,
      otherOutput: `other.jsonl.densetrain.tmp-${dead}`,
      userFile: `out.jsonl.tmp-${dead}`,
    };
    for (const n of Object.values(names)) file(n, 'partial');
    expect(removeStaleTemps(out)).toEqual([path.join(tmp, names.dead)]);
    for (const [k, n] of Object.entries(names)) expect(fs.existsSync(path.join(tmp, n)), k).toBe(k !== 'dead');
    fs.rmSync(path.join(tmp, names.self));

    // Through the command: the stale file goes, the output arrives, no temporary file is left.
    file(names.dead, 'partial');
    expect(await embed(file('two.txt', 'a\nb\n'), out)).toBe(0);
    expect(fs.readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(fs.readdirSync(tmp).filter((n) => n.startsWith('out.jsonl.densetrain.tmp-'))).toEqual([names.parent]);
  });

  it('a write that fails leaves no temporary file and names the output', async () => {
    const output = path.join(tmp, 'a-folder');
    fs.mkdirSync(output);
    fs.writeFileSync(path.join(output, 'keep.txt'), 'mine');
    await expect(embed(file('one.txt', 'a\n'), output)).rejects.toThrow(`cannot write ${output}:`);
    expect(fs.readdirSync(tmp).filter((n) => n.startsWith('a-folder.densetrain.tmp-'))).toEqual([]);
    expect(fs.readFileSync(path.join(output, 'keep.txt'), 'utf8')).toBe('mine');
  });
});
