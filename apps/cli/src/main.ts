import { flagsUsage, parseFlags, type RecipeOption, tokenize, UsageError } from './args.js';
import { type Command, defineCommand, type Out } from './command.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { MODELS } from './models.js';
import { installedRecipes } from './recipes.js';
import { trainCommand } from './train.js';

const modelsCommand = defineCommand({
  name: 'models',
  args: '',
  summary: 'list the models and the recipes of every installed zoo that `myelin train` can run',
  flags: [],
  run: async (_positionals, _flags, out) => {
    for (const [name, spec] of MODELS) out(`${name.padEnd(10)} ${spec.description}\n`);
    const { recipes, zoos } = await installedRecipes();
    const names = Object.keys(recipes);
    if (names.length) {
      out('\nrecipes (myelin train <recipe> --help for their flags):\n');
      const width = Math.max(...names.map((n) => n.length));
      for (const [name, r] of Object.entries(recipes))
        out(`${name.padEnd(width)}  ${r.title} (${zoos.get(name)})\n`);
    }
    return 0;
  },
});

/** Every command, by name. */
export const COMMANDS: ReadonlyMap<string, Command> = new Map(
  [trainCommand, evalCommand, modelsCommand, exportCommand].map((c) => [c.name, c]),
);

export function usage(
  command?: Command,
  declared?: { flags: readonly RecipeOption[]; about?: string },
): string {
  if (command) {
    const list = declared?.flags ?? command.flags;
    const flags = list.length ? `\nflags:\n${flagsUsage(list)}` : '';
    const about = declared?.about ?? command.summary;
    return `usage: myelin ${command.name}${command.args ? ` ${command.args}` : ''}${list.length ? ' [flags]' : ''}\n  ${about}${flags}`;
  }
  const lines = [...COMMANDS.values()].map(
    (c) => `  myelin ${`${c.name} ${c.args}`.padEnd(20)} ${c.summary}`,
  );
  return `usage:\n${lines.join('\n')}\n  myelin <command> --help   flags of a command`;
}

/**
 * Run `myelin` with these arguments (argv without node and the script). Resolves with the exit
 * code; throws `UsageError` for mistakes in the command line and `Error` for failures.
 */
export async function main(
  argv: readonly string[],
  out: Out = (s) => process.stdout.write(s),
): Promise<number> {
  const name = argv[0];
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    out(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.get(name);
  if (!command)
    throw new UsageError(`unknown command '${name}' (available: ${[...COMMANDS.keys()].join(', ')})`);
  // A command whose flags depend on its first word (a recipe's options) reads that word first.
  const first = argv[1] !== undefined && !argv[1].startsWith('-') ? argv[1] : undefined;
  const declared = command.flagsFor ? await command.flagsFor(first) : { flags: command.flags };
  const tokens = tokenize(argv.slice(1), declared.flags, name);
  if (tokens.help) {
    out(`${usage(command, declared)}\n`);
    return 0;
  }
  const arity = command.args ? command.args.split(' ').length : 0;
  if (tokens.positionals.length > arity)
    throw new UsageError(
      `${name}: unexpected argument '${tokens.positionals[arity]}' (usage: myelin ${name}${command.args ? ` ${command.args}` : ''} [flags])`,
    );
  const flags = parseFlags(declared.flags, tokens.flags, name);
  return command.run(tokens.positionals, flags, out);
}
