import {
  flagName,
  type OptionValues,
  optionExpects,
  optionUsage,
  parseRecipeOptions,
  type RecipeOption,
  RecipeOptionError,
  type RecipeValues,
} from '@myelin/train';

/**
 * Flags are declared as zoo recipes declare their options (`RecipeOption`: name, type, default,
 * range, help) and parsed in one place, by `@myelin/train`'s `parseRecipeOptions`, so a recipe's
 * options become `myelin train <recipe>` flags with the same checks and messages.
 */

/** A usage mistake (unknown command or flag, bad value): the CLI prints it and exits with 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** What a command line says before its values are checked: words, and flags by name. */
export interface Tokens {
  positionals: string[];
  flags: Record<string, string>;
  help: boolean;
}

/**
 * Split argv into positionals and `--flag value` / `--flag=value` pairs. A boolean flag needs no
 * value (`--flag`); it takes the next word only when that is `true` or `false` (`--flag false`, as
 * the usage text `<true or false>` reads), or `--flag=false`; any other flag takes the next word, even one that
 * starts with '-' (so `--lr -1` is a value the range check then rejects). `--` ends the flags.
 */
export function tokenize(
  argv: readonly string[],
  declarations: readonly RecipeOption[],
  command: string,
): Tokens {
  const booleans = new Set(declarations.filter((d) => d.type === 'boolean').map((d) => flagName(d.name)));
  const out: Tokens = { positionals: [], flags: {}, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-h' || a === '--help') {
      out.help = true;
      continue;
    }
    if (!a.startsWith('--') || a === '--') {
      if (a.startsWith('-') && a.length > 1 && Number.isNaN(Number(a)))
        throw new UsageError(
          `${command}: unknown flag '${a}' (flags are spelt --name; -h is the only short one)`,
        );
      out.positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    let value: string;
    if (eq >= 0) value = a.slice(eq + 1);
    else if (booleans.has(name))
      value = argv[i + 1] === 'true' || argv[i + 1] === 'false' ? argv[++i]! : 'true';
    else if (i + 1 < argv.length) value = argv[++i]!;
    else throw new UsageError(`${command}: --${name}: needs a value`);
    if (Object.hasOwn(out.flags, name)) throw new UsageError(`${command}: --${name}: given twice`);
    out.flags[name] = value;
  }
  return out;
}

/** Typed values of the declared flags, defaults filled; every problem reported at once. */
export function parseFlags<D extends readonly RecipeOption[]>(
  declarations: D,
  flags: Readonly<Record<string, string>>,
  command: string,
): OptionValues<D> {
  try {
    return parseRecipeOptions(declarations, flags);
  } catch (e) {
    if (e instanceof RecipeOptionError)
      throw new UsageError(`${command}: ${e.message.split('\n').join(`\n${command}: `)}`);
    throw e;
  }
}

/** Help lines for a command's flags. */
export function flagsUsage(declarations: readonly RecipeOption[]): string {
  return declarations
    .map(
      (d) =>
        `  ${d.default === '' ? `--${flagName(d.name)} <${optionExpects(d)}>  ${d.help}` : optionUsage(d)}`,
    )
    .join('\n');
}

export type { OptionValues, RecipeOption, RecipeValues };
