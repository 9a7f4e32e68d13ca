// The bi-encoder's tokenizer reads tokenizer_config.json's BERT flags as transformers does: a
// tokenizer.json whose BertNormalizer says strip_accents false, under a config with
// do_lower_case true and strip_accents null, strips accents (sentence-transformers' encode does).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { loadTokenizer } from '../../src/model/tokenizer.js';

const FIX = new URL('../fixtures/tiny-bert/', import.meta.url).pathname;

it('tokenizer_config.json strip_accents null wins over tokenizer.json strip_accents false, as in transformers', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-tokcfg-'));
  try {
    for (const f of fs.readdirSync(FIX)) if (fs.statSync(path.join(FIX, f)).isFile()) fs.copyFileSync(path.join(FIX, f), path.join(dir, f));
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
    json.normalizer.strip_accents = false;
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
    const ids = (d: string, t: string) => loadTokenizer(d, 64).encodeBatch([t]).inputIds;
    // The fixture itself strips accents (both files agree): "après" and "apres" tokenize alike.
    expect(ids(FIX, 'après la commande')).toEqual(ids(FIX, 'apres la commande'));
    expect(ids(dir, 'après la commande')).toEqual(ids(dir, 'apres la commande'));
    // Without the config's flags the file alone keeps the accent (the check above has teeth).
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'BertTokenizer' }));
    expect(ids(dir, 'après la commande')).not.toEqual(ids(dir, 'apres la commande'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
