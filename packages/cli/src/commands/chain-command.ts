import { type Chain, connectChain } from '../chain.js';
import type { Command, CommandInput } from '../command.js';
import { loadProject, type Project } from '../config.js';
import { CHAIN_OPTIONS, PROJECT_OPTIONS } from '../options.js';

/**
 * A command that reads or writes the marketplace: its own options, then the chain options (`--rpc`,
 * `--marketplace`, `--key-file`) and the project's `--dir`, added here for every chain command; it prints data
 * (`--json`).
 *
 * @example
 * ```ts
 * const status = chainCommand({
 *   name: 'market status',
 *   summary: 'Show the chain the marketplace is on.',
 *   usage: 'mu market status',
 *   options: {},
 *   example: 'mu market status --json',
 *   run: (input) => withChain(input, { signer: false }, async (chain) => printResult(input, chain.rpc, () => chain.rpc)),
 * });
 * ```
 */
export function chainCommand(command: Omit<Command, 'json'>): Command {
  return { ...command, options: { ...command.options, ...CHAIN_OPTIONS, ...PROJECT_OPTIONS }, json: true };
}

/**
 * Runs `run` with a connection to the chain (and the account key when `signer`), closed afterwards.
 *
 * @throws {CliError} what {@link connectChain} throws, before `run` starts.
 */
export async function withChain<T>(
  input: CommandInput,
  options: { signer: boolean },
  run: (chain: Chain, project: Project) => Promise<T>,
): Promise<T> {
  const project = loadProject(input);
  const chain = await connectChain(input, project, options);
  try {
    return await run(chain, project);
  } finally {
    chain.close();
  }
}

/** The account of a chain connected with `signer: true`. */
export function signerAddress(chain: Chain): string {
  return chain.wallet!.address;
}
