import { createRequire } from 'node:module';
import { type Command, type CommandInput, commandHelp, parseCommandArgs } from './command.js';
import { chainCommands } from './commands/chain.js';
import { devCommand } from './commands/dev.js';
import { buildCommand, newCommand } from './commands/project.js';
import { CliError, UsageError } from './errors.js';

/** Every command, in help order. */
export const COMMANDS: readonly Command[] = [newCommand, buildCommand, devCommand, ...chainCommands];

/** How {@link runCli} talks to the world (a test may capture it). */
export interface RunCliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

function version(): string {
  const require = createRequire(import.meta.url);
  return (require('../package.json') as { version: string }).version;
}

function topHelp(): string {
  const groups = new Map<string, Command[]>();
  for (const command of COMMANDS) {
    const group = command.name.includes(' ') ? command.name.split(' ')[0]! : '';
    groups.set(group, [...(groups.get(group) ?? []), command]);
  }
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  const lines = [
    'mu: create, build, run and deploy Mu apps; manage a provider.',
    '',
    'Usage: mu <command> [options]',
    '',
  ];
  for (const command of COMMANDS) lines.push(`  ${command.name.padEnd(width)}  ${command.summary}`);
  lines.push(
    '',
    'Every command takes --help (with an example). Exit codes: 0 ok, 1 failure, 2 usage error.',
    'Example:',
    '  mu new hello && cd hello && mu build && mu dev',
  );
  return `${lines.join('\n')}\n`;
}

function findCommand(args: readonly string[]): { command: Command; rest: string[] } | undefined {
  for (const words of [2, 1]) {
    const name = args.slice(0, words).join(' ');
    const command = COMMANDS.find((candidate) => candidate.name === name);
    if (command) return { command, rest: args.slice(words) };
  }
  return undefined;
}

function describeError(error: unknown): { code: string; message: string; exitCode: 1 | 2 } {
  if (error instanceof CliError) return { code: error.code, message: error.message, exitCode: error.exitCode };
  // Argument checks of the packages below throw TypeError/RangeError before any side effect: a usage error.
  // Engine and network TypeErrors (a bug, `fetch failed`) are not.
  const internal = /Cannot read properties|is not a function|is not defined|fetch failed/;
  if ((error instanceof TypeError || error instanceof RangeError) && !internal.test(error.message)) {
    return { code: 'CLI_USAGE', message: `${error.message}\nCheck the value you passed.`, exitCode: 2 };
  }
  const candidate = error as { code?: unknown; shortMessage?: unknown; details?: unknown; message?: unknown };
  if (typeof candidate?.code === 'string' && typeof candidate.shortMessage === 'string') {
    const details = typeof candidate.details === 'string' && candidate.details ? `\n${candidate.details}` : '';
    return { code: candidate.code, message: `${candidate.shortMessage}${details}`, exitCode: 1 };
  }
  return {
    code: 'CLI_UNEXPECTED',
    message: `${String(candidate?.message ?? error)}\nThis is unexpected: run again with MU_DEBUG=1 for the stack and report it.`,
    exitCode: 1,
  };
}

/**
 * Runs `mu` with the given arguments and returns the exit code: 0 ok, 1 failure, 2 usage error.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(process.argv.slice(2));
 * ```
 */
export async function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<number> {
  const stdout = options.stdout ?? ((text: string) => process.stdout.write(text));
  const stderr = options.stderr ?? ((text: string) => process.stderr.write(text));
  const env = options.env ?? process.env;
  if (args.length === 0 || args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
    (args.length === 0 ? stderr : stdout)(topHelp());
    return args.length === 0 ? 2 : 0;
  }
  if (args[0] === '--version' || args[0] === '-v') {
    stdout(`${version()}\n`);
    return 0;
  }
  const found = findCommand(args);
  const json = args.includes('--json');
  try {
    if (!found) {
      const group = COMMANDS.filter((command) => command.name.startsWith(`${args[0]} `));
      if (group.length > 0 && (args.length === 1 || args[1] === '--help' || args[1] === '-h')) {
        const text = `Commands of mu ${args[0]}:\n${group.map((command) => `  mu ${command.name}  ${command.summary}`).join('\n')}\n`;
        (args.length === 1 ? stderr : stdout)(text);
        return args.length === 1 ? 2 : 0;
      }
      throw new UsageError(`unknown command '${args.slice(0, group.length > 0 ? 2 : 1).join(' ')}'.`);
    }
    const { command, rest } = found;
    const { values, positionals } = parseCommandArgs(command, rest);
    if (values.help) {
      stdout(commandHelp(command));
      return 0;
    }
    const input: CommandInput = {
      values,
      positionals,
      json: command.json && values.json === true,
      cwd: options.cwd ?? process.cwd(),
      env,
      out: stdout,
      log: (text) => stderr(`${text}\n`),
    };
    await command.run(input);
    return 0;
  } catch (error) {
    const { code, message, exitCode } = describeError(error);
    // One line, so a script can read the last line of stderr after any progress lines.
    if (json) stderr(`${JSON.stringify({ error: { code, message } })}\n`);
    else stderr(`mu: error ${code}: ${message}\n`);
    if (env.MU_DEBUG && error instanceof Error) stderr(`${error.stack}\n`);
    return exitCode;
  }
}
