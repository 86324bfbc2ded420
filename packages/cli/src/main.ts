import { createRequire } from 'node:module';
import { errorBodyJson, isMuError } from '@mu/errors';
import { type Command, type CommandInput, commandHelp, parseCommandArgs } from './command.js';
import { devCommand } from './commands/dev.js';
import { jobCommands } from './commands/job.js';
import { marketCommands } from './commands/market.js';
import { nodeCommands } from './commands/node.js';
import { buildCommand, newCommand } from './commands/project.js';
import { providerCommands } from './commands/provider.js';
import { CliError, printedMessage, UsageError } from './errors.js';

/** Every command, in help order. */
export const COMMANDS: readonly Command[] = [
  newCommand,
  buildCommand,
  devCommand,
  ...marketCommands,
  ...jobCommands,
  ...providerCommands,
  ...nodeCommands,
];

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

/** What `mu` prints for an error and the exit code it ends with. */
interface ErrorReport {
  code: string;
  message: string;
  exitCode: 1 | 2;
}

// Engine and network TypeErrors (a bug, undici's `fetch failed`) carry no mark but their message.
const ENGINE_TYPE_ERROR = /Cannot read properties|is not a function|is not defined|fetch failed/;

/** An ethers error (the CLI's own reads of the chain: code, block, token decimals) keeps ethers' code. */
function isEthersError(error: unknown): error is Error & { code: string; shortMessage: string } {
  const candidate = error as { code?: unknown; shortMessage?: unknown };
  return error instanceof Error && typeof candidate.code === 'string' && typeof candidate.shortMessage === 'string';
}

/**
 * How `mu` reports an error, in order: a Mu error of any package (its own code; exit 2 for a {@link UsageError});
 * a TypeError/RangeError of an argument check of the packages below (or ethers'), thrown before any side effect
 * (`CLI_USAGE`, exit 2); another ethers error (its code); anything else (`CLI_UNEXPECTED`).
 */
function describeError(error: unknown): ErrorReport {
  // `isMuError`, not `instanceof`: a package may be loaded twice (source and dist), each copy with its classes.
  if (isMuError(error)) {
    const exitCode = error instanceof CliError ? error.exitCode : 1;
    return { code: error.code, message: printedMessage(error), exitCode };
  }
  if ((error instanceof TypeError || error instanceof RangeError) && !ENGINE_TYPE_ERROR.test(error.message)) {
    return { code: 'CLI_USAGE', message: `${error.message}\nCheck the value you passed.`, exitCode: 2 };
  }
  if (isEthersError(error)) return { code: error.code, message: error.shortMessage, exitCode: 1 };
  const message = (error as { message?: unknown } | null | undefined)?.message;
  return {
    code: 'CLI_UNEXPECTED',
    message: `${String(message ?? error)}\nThis is unexpected: run again with MU_DEBUG=1 for the stack and report it.`,
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
    if (json) stderr(`${errorBodyJson(code, message)}\n`);
    else stderr(`mu: error ${code}: ${message}\n`);
    if (env.MU_DEBUG && error instanceof Error) stderr(`${error.stack}\n`);
    return exitCode;
  }
}
