#!/usr/bin/env node
// The CLI entry (package "bin"): the compiled TypeScript lives in dist/ (built by `npm ci`).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code ?? 0),
  (err) => {
    console.error(`densetrain: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
