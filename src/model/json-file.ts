// Reading the JSON files of a model folder, with errors that name the file.
import fs from 'node:fs';

/** Parse a JSON file; `missingHint` says what the file is for when it is absent. */
export function readJsonFile(file: string, missingHint?: string): any {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file}: missing${missingHint ? ` (${missingHint})` : ''}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
}
