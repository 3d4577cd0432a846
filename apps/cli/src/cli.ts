import { UsageError } from './args.js';
import { main } from './main.js';

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
