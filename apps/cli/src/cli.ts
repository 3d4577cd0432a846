import { parseArgs } from 'node:util';
import { main } from './main.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dataset: { type: 'string', default: 'mnist' },
    epochs: { type: 'string', default: '3' },
    'batch-size': { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.001' },
    backend: { type: 'string', default: 'best' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
    limit: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

main(positionals, values).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`myelin: ${process.env.MYELIN_DEBUG ? (e as Error).stack : (e as Error).message}`);
    process.exitCode = 1;
  },
);
