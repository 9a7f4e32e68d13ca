// Entry for test/train/mpi.test.ts, one per rank:
// `mpirun -np N node --import tsx test/helpers/mpi-train.ts RECIPE [key=value ...]`.
// MPI_TEST_FAIL="RANK:STEP" makes that rank throw after that step, MPI_TEST_KILL="RANK:STEP" kill
// itself with SIGKILL there (the failure tests).
import { loadRecipe } from '../../src/train/recipe.js';
import { train } from '../../src/train/trainer.js';

const [file, ...pairs] = process.argv.slice(2);
const overrides = Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
const [failRank, failStep] = (process.env.MPI_TEST_FAIL ?? '-1:-1').split(':').map(Number);
const [killRank, killStep] = (process.env.MPI_TEST_KILL ?? '-1:-1').split(':').map(Number);
const rank = Number(process.env.OMPI_COMM_WORLD_RANK ?? 0);
await train(loadRecipe(file, overrides), {
  onStep: (row) => {
    if (rank === failRank && row.step === failStep) throw new Error(`simulated failure at step ${row.step}`);
    if (rank === killRank && row.step === killStep) process.kill(process.pid, 'SIGKILL');
  },
});
