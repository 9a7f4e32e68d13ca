#!/usr/bin/env node
// The CLI entry (package "bin"): the compiled TypeScript lives in dist/ (built by `npm ci`).
// cli() prints any failure itself; this catch is for a failure to start at all.
import { cli } from '../dist/cli/main.js';

cli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`densetrain: internal error, a bug in densetrain (please report it): ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
