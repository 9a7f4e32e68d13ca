// Where an export may write, and how a finished export lands there without touching anything it
// did not write. An export leaves a marker (`.densetrain-export.json`) naming its source model
// and the entries it wrote; a folder is a fit target when it is new, empty, or an earlier export
// of the same model. Anything else needs `overwrite`, and even then only the export's own entries
// are replaced: other files and folders in the target stay as they are.
import fs from 'node:fs';
import path from 'node:path';
import { writeJsonAtomically } from '../atomic-file.js';

export const EXPORT_MARKER = '.densetrain-export.json';

interface Marker {
  source: string;
  /** Top-level entries the export wrote (the marker itself excluded). */
  entries: string[];
}

function readMarker(dir: string): Marker | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, EXPORT_MARKER), 'utf8'));
    return typeof m?.source === 'string' && Array.isArray(m.entries) ? m : undefined;
  } catch {
    return undefined;
  }
}

/** A few of the folder's entries, for an error message. */
function describeEntries(names: string[], dir: string): string {
  const shown = names.slice(0, 4).map((n) => (fs.statSync(path.join(dir, n), { throwIfNoEntry: false })?.isDirectory() ? `${n}/` : n));
  return shown.join(', ') + (names.length > 4 ? `, and ${names.length - 4} more` : '');
}

/**
 * Throws unless an export of `modelDir` may write into `outDir`. The model folder itself is a fit
 * target (the export then only adds onnx/, see `exportEntries`) as long as its onnx/ is absent or
 * an earlier export's.
 */
export function checkExportTarget(outDir: string, modelDir: string, overwrite: boolean): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(outDir);
  } catch {
    return; // absent, or not reachable: creating the staging folder beside it says why
  }
  if (!st.isDirectory()) throw new Error(`--output ${outDir}: exists and is not a folder`);
  if (overwrite) return;
  const marker = readMarker(outDir);
  if (marker && path.resolve(marker.source) === path.resolve(modelDir)) return;
  if (isSameFolder(outDir, modelDir)) {
    // Its onnx/ may be replaced when absent or written by an export (of this folder or another).
    if (!fs.existsSync(path.join(outDir, 'onnx')) || marker?.entries.includes('onnx')) return;
    throw new Error(`--output ${outDir}: the model folder already has an onnx/ folder that no export of densetrain wrote; pass --overwrite to replace it`);
  }
  const names = fs.readdirSync(outDir).sort();
  if (names.length === 0) return;
  const what = marker ? `an export of another model (${marker.source})` : `not an earlier export of ${modelDir}`;
  throw new Error(
    `--output ${outDir}: the folder is not empty and is ${what}; it holds ${describeEntries(names, outDir)}. ` +
      'Choose a new or empty folder, or pass --overwrite to replace only the files an export writes (nothing else in the folder is touched)',
  );
}

export function isSameFolder(a: string, b: string): boolean {
  const real = (p: string) => (fs.existsSync(p) ? fs.realpathSync(p) : path.resolve(p));
  return real(a) === real(b);
}

/**
 * The staged entries that go to `outDir`. Into the model folder itself only onnx/ and the two
 * files transformers.js needs patched (config.json, tokenizer_config.json) are written: the
 * weights and sentence-transformers files are the user's and stay exactly as they are.
 */
export function exportEntries(staging: string, outDir: string, modelDir: string): string[] {
  const all = fs.readdirSync(staging).filter((n) => n !== EXPORT_MARKER);
  if (!isSameFolder(outDir, modelDir)) return all;
  return all.filter((n) => ['onnx', 'config.json', 'tokenizer_config.json'].includes(n));
}

/**
 * Move `entries` of the staged export into `outDir`. A new folder is the staging folder renamed
 * (atomic). Into an existing folder, each entry is swapped in by rename; what it replaces, and the
 * entries an earlier export of ours wrote that this one does not, go to a side folder that is
 * deleted at the end. The marker goes last, so a folder without it is never taken for a complete
 * export. The staging folder is removed.
 */
export function landExport(staging: string, outDir: string, entries: string[], source: string): void {
  const marker: Marker = { source: path.resolve(source), entries };
  const inPlace = isSameFolder(outDir, source);
  if (!fs.existsSync(outDir)) {
    for (const n of fs.readdirSync(staging)) if (!entries.includes(n)) fs.rmSync(path.join(staging, n), { recursive: true, force: true });
    writeMarker(staging, marker);
    fs.renameSync(staging, outDir);
    return;
  }
  // Entries only an earlier export wrote go too, except in the model folder itself: there the
  // earlier export's files are the model this export reads.
  const previous = inPlace ? [] : (readMarker(outDir)?.entries ?? []);
  // Replaced entries wait here until the new ones are all in place; after a failure they are kept.
  const aside = fs.mkdtempSync(path.join(path.dirname(path.resolve(outDir)), `.${path.basename(outDir)}.replaced-`));
  try {
    fs.rmSync(path.join(outDir, EXPORT_MARKER), { force: true });
    for (const n of previous) {
      if (entries.includes(n) || n !== path.basename(n) || n === EXPORT_MARKER || n === '..' || n === '.') continue;
      if (fs.existsSync(path.join(outDir, n))) fs.renameSync(path.join(outDir, n), path.join(aside, n));
    }
    for (const n of entries) {
      const target = path.join(outDir, n);
      if (fs.existsSync(target)) fs.renameSync(target, path.join(aside, n));
      fs.renameSync(path.join(staging, n), target);
    }
    writeMarker(outDir, marker);
  } catch (e) {
    throw new Error(`--output ${outDir}: the export could not be put in place (${(e as Error).message}); the files it was replacing are kept in ${aside}`);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  fs.rmSync(aside, { recursive: true, force: true });
}

function writeMarker(dir: string, marker: Marker): void {
  writeJsonAtomically(path.join(dir, EXPORT_MARKER), { ...marker, written_by: 'densetrain export' });
}
