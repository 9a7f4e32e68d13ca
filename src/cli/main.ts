// The `densetrain` command line: a thin layer of yargs over the library API.
import yargs, { type Argv } from 'yargs';
import { BACKEND_CHOICES, describeBackend, initBackend } from '../engine/backend.js';
import { embedFile } from './embed.js';

/** Select the backend and print the first line every computing command prints. */
async function startBackend(backend: string): Promise<void> {
  console.log(describeBackend(await initBackend(backend)));
}

const withBackend = <T>(y: Argv<T>) =>
  y.option('backend', {
    choices: BACKEND_CHOICES,
    default: process.env.DENSETRAIN_BACKEND ?? 'auto',
    describe: 'tfjs backend (env DENSETRAIN_BACKEND): auto takes tfjs-node-gpu, tfjs-node, wasm, then cpu',
  });

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const cli = yargs(argv)
    .scriptName('densetrain')
    .usage('$0 <command> [options]\n\nTrain, evaluate and export dense text retrievers on Node.js.')
    .command(
      'embed',
      'Embed texts with a model folder (JSONL `text` field, or one text per line) into JSONL',
      (y) =>
        withBackend(y)
          .option('model', { type: 'string', demandOption: true, describe: 'model folder (sentence-transformers or Hugging Face)' })
          .option('input', { type: 'string', demandOption: true, describe: 'input file: .jsonl with a "text" field, or plain text' })
          .option('output', { type: 'string', demandOption: true, describe: 'output JSONL, one {"embedding": [...]} per input line' })
          .option('engine', { choices: ['tfjs', 'onnx'] as const, default: 'tfjs' as const, describe: 'inference engine (onnx needs an exported folder)' })
          .option('batch-size', { type: 'number', default: 32 })
          .option('prompt-name', { type: 'string', describe: 'prompt of config_sentence_transformers.json to prepend (query, document)' }),
      async (a) => {
        if (a.engine === 'tfjs') await startBackend(a.backend);
        else console.log('densetrain: onnxruntime-node on CPU');
        const n = await embedFile({ model: a.model, input: a.input, output: a.output, engine: a.engine, batchSize: a['batch-size'], promptName: a['prompt-name'] });
        console.log(`embedded ${n} texts -> ${a.output}`);
      },
    )
    .demandCommand(1, 'name a command (see --help)')
    .strict()
    .help()
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    });
  await cli.parseAsync();
  return code;
}
