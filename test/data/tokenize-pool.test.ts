// The tokenizer worker pool gives what the tokenizer gives in-thread, both from the TypeScript
// sources (as under vitest and tsx) and from compiled JavaScript (as from dist/).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { expect, test } from 'vitest';
import { openTokenizerPool } from '../../src/data/tokenize-pool.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';
import { MODEL } from './helpers.js';

const COLUMNS = [
  ['how do I reset my password?', 'a'],
  ['Öffnen Sie die Einstellungen und folgen Sie den Schritten.', 'renew the order within two days'],
];
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('from TypeScript sources: same batches as in-thread', async () => {
  const pool = openTokenizerPool(MODEL, 16, 2);
  try {
    const tok = loadTokenizer(MODEL, 16);
    const got = await Promise.all([pool.encode(COLUMNS), pool.encode(COLUMNS.slice(1)), pool.encode(COLUMNS)]);
    expect(got[0]).toEqual(COLUMNS.map((c) => tok.encodeBatch(c)));
    expect(got[1]).toEqual([tok.encodeBatch(COLUMNS[1])]);
    expect(got[2]).toEqual(got[0]);
  } finally {
    await pool.close();
  }
});

test('from compiled JavaScript: same batches as in-thread', () => {
  // Transpile the pool, the worker and the tokenizer into a folder under node_modules, so the
  // compiled files resolve packages as dist/ does.
  const out = fs.mkdtempSync(path.join(ROOT, 'node_modules', '.densetrain-test-'));
  try {
    // All of src/, so the worker finds whatever its imports reach.
    const sources = (fs.readdirSync(path.join(ROOT, 'src'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => `src/${f}`);
    for (const rel of sources) {
      const js = ts.transpileModule(fs.readFileSync(path.join(ROOT, rel), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
        fileName: rel,
      }).outputText;
      const dest = path.join(out, rel.replace(/\.ts$/, '.js'));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, js);
    }
    fs.writeFileSync(path.join(out, 'package.json'), '{"type": "module"}');
    const script = `
      import { openTokenizerPool } from ${JSON.stringify(path.join(out, 'src/data/tokenize-pool.js'))};
      const pool = openTokenizerPool(${JSON.stringify(MODEL)}, 16, 2);
      const b = await pool.encode(${JSON.stringify(COLUMNS)});
      console.log(JSON.stringify(b.map((x) => ({ ...x, inputIds: [...x.inputIds], attentionMask: [...x.attentionMask], tokenTypeIds: [...x.tokenTypeIds] }))));
      await pool.close();`;
    fs.writeFileSync(path.join(out, 'run.js'), script);
    const got = JSON.parse(execFileSync(process.execPath, [path.join(out, 'run.js')], { encoding: 'utf8' }));
    const tok = loadTokenizer(MODEL, 16);
    const want = COLUMNS.map((c) => tok.encodeBatch(c)).map((x) => ({ ...x, inputIds: [...x.inputIds], attentionMask: [...x.attentionMask], tokenTypeIds: [...x.tokenTypeIds] }));
    expect(got).toEqual(want);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
