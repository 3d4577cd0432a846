import type { OptionValues, RecipeOption } from './args.js';

/** Where a command writes what it has to say. */
export type Out = (s: string) => void;

/**
 * One `myelin <name>` command: its words, its flags (declared as recipe options are) and what it
 * does. Add a command by adding an entry to `COMMANDS`; its flags are parsed and checked before
 * `run` is called, and `myelin <name> --help` lists them.
 */
export interface Command {
  readonly name: string;
  /** e.g. '<model>' — shown in usage; its number of words is how many the command takes. */
  readonly args: string;
  readonly summary: string;
  readonly flags: readonly RecipeOption[];
  /**
   * Flags that depend on the first word, e.g. `myelin train <recipe>` takes the recipe's declared
   * options; `about` is shown under the usage line by `--help`. Default: `flags`.
   */
  flagsFor?(first: string | undefined): Promise<{ flags: readonly RecipeOption[]; about?: string }>;
  run(
    positionals: readonly string[],
    flags: Readonly<Record<string, string | number | boolean>>,
    out: Out,
  ): Promise<number>;
}

/** A command whose `run` gets its flags typed from their declarations. */
export function defineCommand<const D extends readonly RecipeOption[]>(c: {
  name: string;
  args: string;
  summary: string;
  flags: D;
  flagsFor?(first: string | undefined): Promise<{ flags: readonly RecipeOption[]; about?: string }>;
  run(positionals: readonly string[], flags: OptionValues<D>, out: Out): Promise<number>;
}): Command {
  return c as unknown as Command;
}
