import { UsageError } from './args.js';
import { main } from './main.js';

// A reader that stops early (`myelin models | head -1`) closes the pipe: that ends the output, it is
// not a failure, so exit quietly instead of crashing on EPIPE.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

// One clear line for a failure (the stack only with MYELIN_DEBUG=1); 2 for a usage mistake, 1 otherwise.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    console.error(`myelin: ${process.env.MYELIN_DEBUG ? err.stack : err.message}`);
    if (err instanceof UsageError) console.error("run 'myelin --help' for usage");
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
