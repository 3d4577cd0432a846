import { flagsUsage, parseFlags, tokenize, UsageError } from './args.js';
import { type Command, defineCommand, type Out } from './command.js';
import { evalCommand } from './eval.js';
import { MODELS } from './models.js';
import { trainCommand } from './train.js';

const modelsCommand = defineCommand({
  name: 'models',
  args: '',
  summary: 'list the models `myelin train` can train',
  flags: [],
  run: async (_positionals, _flags, out) => {
    for (const [name, spec] of MODELS) out(`${name.padEnd(10)} ${spec.description}\n`);
    return 0;
  },
});

/** Every command, by name. */
export const COMMANDS: ReadonlyMap<string, Command> = new Map(
  [trainCommand, evalCommand, modelsCommand].map((c) => [c.name, c]),
);

export function usage(command?: Command): string {
  if (command) {
    const flags = command.flags.length ? `\nflags:\n${flagsUsage(command.flags)}` : '';
    return `usage: myelin ${command.name}${command.args ? ` ${command.args}` : ''}${command.flags.length ? ' [flags]' : ''}\n  ${command.summary}${flags}`;
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
  const tokens = tokenize(argv.slice(1), command.flags, name);
  if (tokens.help) {
    out(`${usage(command)}\n`);
    return 0;
  }
  const arity = command.args ? command.args.split(' ').length : 0;
  if (tokens.positionals.length > arity)
    throw new UsageError(
      `${name}: unexpected argument '${tokens.positionals[arity]}' (usage: myelin ${name}${command.args ? ` ${command.args}` : ''} [flags])`,
    );
  const flags = parseFlags(command.flags, tokens.flags, name);
  return command.run(tokens.positionals, flags, out);
}
