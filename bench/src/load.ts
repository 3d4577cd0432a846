/**
 * Loading what a bench row may lack: packages imported by a computed specifier, and the one-line
 * reason a row prints when something fails.
 */

/**
 * Import by a computed specifier: TypeScript and the bundlers leave it to run time, so an adapter
 * typechecks and the rest of the bench runs without the package (in the browser bench, the page's
 * import map resolves it).
 */
export function loadModule<T>(specifier: string): Promise<T> {
  return import(/* @vite-ignore */ specifier) as Promise<T>;
}

/** The first line of a thrown error's message. */
export function firstLine(err: unknown): string {
  return (err as Error).message.split('\n')[0]!;
}
