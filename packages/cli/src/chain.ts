import { createMuClient, getRegions, getTokenAddress, type MuClient, TestStablecoinAbi } from '@mu/contract-client';
import { Contract, formatUnits, JsonRpcProvider, parseUnits, Wallet } from 'ethers';
import type { CommandInput } from './command.js';
import { loadPrivateKey, networkConfig, type Project } from './config.js';
import { CliError, UsageError } from './errors.js';

/** A connection to the marketplace: the provider, the client (signing when a key was asked for), token decimals. */
export interface Chain {
  provider: JsonRpcProvider;
  client: MuClient;
  wallet: Wallet | undefined;
  rpc: string;
  marketplace: string;
  close(): void;
}

/**
 * Connects to the chain named by flags, environment or `mu.json`; with `signer: true` also loads the account key.
 *
 * @throws {CliError} `CLI_CONFIG_INVALID`, `CLI_KEY_MISSING`, `CLI_KEY_INVALID`, `CLI_CHAIN_UNREACHABLE`.
 */
export async function connectChain(
  input: CommandInput,
  project: Project,
  options: { signer: boolean },
): Promise<Chain> {
  const { rpc, marketplace } = networkConfig(input, project);
  const key = options.signer ? loadPrivateKey(input, input.cwd) : undefined;
  // Batching off and no result cache: anvil mines instantly and a reused nonce would fail the next write.
  const provider = new JsonRpcProvider(rpc, undefined, {
    batchMaxCount: 1,
    staticNetwork: true,
    pollingInterval: 50,
    cacheTimeout: -1,
  });
  try {
    await provider.getBlockNumber();
  } catch (error) {
    provider.destroy();
    throw new CliError(
      'CLI_CHAIN_UNREACHABLE',
      `Cannot reach the JSON-RPC node at ${rpc}: check --rpc / MU_RPC_URL and that the node is running.`,
      { cause: error },
    );
  }
  const code = await provider.getCode(marketplace);
  if (code === '0x') {
    provider.destroy();
    throw new CliError(
      'CLI_CONFIG_INVALID',
      `No contract at ${marketplace} on ${rpc}: check --marketplace / MU_MARKETPLACE (and that the chain is the right one).`,
    );
  }
  const wallet = key ? new Wallet(key, provider) : undefined;
  const client = createMuClient({ address: marketplace, runner: wallet ?? provider });
  return { provider, client, wallet, rpc, marketplace, close: () => provider.destroy() };
}

/** Decimals of the marketplace's payment token (6 for the test stablecoin). */
export async function tokenDecimals(chain: Chain): Promise<number> {
  const token = new Contract(await getTokenAddress(chain.client), TestStablecoinAbi, chain.provider);
  return Number(await token.getFunction('decimals').staticCall());
}

/**
 * A token amount as people write it (`5`, `0.25`) in base units.
 *
 * @throws {UsageError} when the text is not a non-negative decimal with at most `decimals` places.
 */
export function parseAmount(text: string, decimals: number, option: string, command: string): bigint {
  if (!/^\d+(\.\d+)?$/.test(text)) {
    throw new UsageError(`${option} must be a token amount like 5 or 0.25, got '${text}'.`, command);
  }
  try {
    return parseUnits(text, decimals);
  } catch {
    throw new UsageError(`${option} has more than ${decimals} decimal places: '${text}'.`, command);
  }
}

/** Base units as a token amount (`5.25`). */
export function formatAmount(value: bigint, decimals: number): string {
  const text = formatUnits(value, decimals);
  return text.endsWith('.0') ? text.slice(0, -2) : text;
}

/**
 * A region id from an id (`1`) or a name (`eu-west`), checked against the marketplace's regions.
 *
 * @throws {CliError} `CLI_UNKNOWN_REGION` listing the regions there are.
 */
export async function resolveRegion(chain: Chain, text: string | undefined, command: string): Promise<number> {
  if (!text) throw new UsageError('--region is required (a region name or id).', command);
  const { items } = await getRegions(chain.client, { limit: 100 });
  const byId = /^\d+$/.test(text) ? items.find((region) => region.id === Number(text)) : undefined;
  const region = byId ?? items.find((candidate) => candidate.name === text);
  if (!region) {
    const known = items.map((item) => `${item.name} (${item.id})`).join(', ') || 'none';
    throw new CliError('CLI_UNKNOWN_REGION', `No region '${text}' on this marketplace: use one of ${known}.`);
  }
  return region.id;
}

/**
 * A job id argument.
 *
 * @throws {UsageError} when it is not a whole number from 1.
 */
export function parseJobId(text: string | undefined, command: string): bigint {
  if (!text || !/^[1-9]\d*$/.test(text)) {
    throw new UsageError(`the job id must be a whole number from 1, got '${text ?? ''}'.`, command);
  }
  return BigInt(text);
}

/**
 * An address option.
 *
 * @throws {UsageError} when it is not a 0x-prefixed 20-byte hex address.
 */
export function parseAddress(text: string | undefined, option: string, command: string): string {
  if (!text) throw new UsageError(`${option} is required (a 0x… address).`, command);
  if (!/^0x[0-9a-fA-F]{40}$/.test(text)) {
    throw new UsageError(`${option} must be a 0x-prefixed 20-byte address, got '${text}'.`, command);
  }
  return text;
}
