// `npm run bench`: every benchmark in turn, each in its own process (each picks its backend and
// measures its own peak memory).
import { spawnSync } from 'node:child_process';

for (const name of ['data', 'embed', 'train']) {
  console.log(`\n== bench:${name}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', new URL(`./${name}.ts`, import.meta.url).pathname], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
