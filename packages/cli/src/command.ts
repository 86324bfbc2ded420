import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';

/** One option of a command, as `node:util` parseArgs takes it, plus its help line. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  description: string;
  /** The value placeholder shown in help (`<addr>`). */
  value?: string;
}

/** The parsed command line handed to a command. */
export interface CommandInput {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  json: boolean;
  /** Where `mu.json` is looked up and relative paths resolve (the process's working directory). */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Writes data (stdout). */
  out: (text: string) => void;
  /** Writes progress and logs (stderr). */
  log: (text: string) => void;
}

/** A `mu` command: its help and its implementation. */
export interface Command {
  /** `deploy`, `job status`. */
  name: string;
  summary: string;
  /** `mu deploy --provider <addr> --region <r> --prepay <amount>`. */
  usage: string;
  description?: string;
  options: Record<string, OptionSpec>;
  /** Positional arguments: how many are required and allowed. */
  positionals?: { min: number; max: number; names: string };
  /** Whether `--json` applies (the command prints data). */
  json: boolean;
  example: string;
  run(input: CommandInput): Promise<void>;
}

/** Options every command accepts. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

const JSON_OPTION: OptionSpec = { type: 'boolean', description: 'print the result as JSON (bigints as strings)' };

/** The options of a command including the common ones. */
export function allOptions(command: Command): Record<string, OptionSpec> {
  return { ...command.options, ...(command.json ? { json: JSON_OPTION } : {}), ...COMMON_OPTIONS };
}

/**
 * Parses a command's arguments with `node:util` parseArgs (strict), mapping its errors to {@link UsageError}.
 *
 * @throws {UsageError} for an unknown option, a missing value or the wrong number of positionals.
 */
export function parseCommandArgs(
  command: Command,
  args: readonly string[],
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const options = Object.fromEntries(
    Object.entries(allOptions(command)).map(([name, spec]) => [
      name,
      spec.short ? { type: spec.type, short: spec.short } : { type: spec.type },
    ]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(
      (error as Error).message.replace(/\. To specify a positional argument.*$/s, '.'),
      command.name,
    );
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { values, positionals: parsed.positionals };
  const range = command.positionals ?? { min: 0, max: 0, names: '' };
  if (parsed.positionals.length < range.min) {
    throw new UsageError(`missing ${range.names}.`, command.name);
  }
  if (parsed.positionals.length > range.max) {
    throw new UsageError(`unexpected argument '${parsed.positionals[range.max]}'.`, command.name);
  }
  return { values, positionals: parsed.positionals };
}

/** The `--help` text of a command. */
export function commandHelp(command: Command): string {
  const lines = [`${command.summary}`, '', `Usage: ${command.usage}`];
  if (command.description) lines.push('', command.description);
  const options = Object.entries(allOptions(command));
  const labels = options.map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}`;
    return spec.type === 'string' ? `${flag} ${spec.value ?? '<value>'}` : flag;
  });
  const width = Math.max(...labels.map((label) => label.length));
  lines.push('', 'Options:');
  options.forEach(([, spec], index) => {
    lines.push(`  ${labels[index]!.padEnd(width)}  ${spec.description}`);
  });
  lines.push('', 'Example:', `  ${command.example}`);
  return `${lines.join('\n')}\n`;
}

/** A string option, or undefined when absent. */
export function stringOption(input: CommandInput, name: string): string | undefined {
  const value = input.values[name];
  return typeof value === 'string' ? value : undefined;
}
