import { MuMarketplaceAbi, TestStablecoinAbi, waitForTransaction } from '@mu/contracts';
import {
  BrowserProvider,
  Contract,
  type ContractRunner,
  type Eip1193Provider,
  type Interface,
  type Log,
  type Provider,
  type Signer,
  type TransactionReceipt,
} from 'ethers';
import { mergeAbis, namedArgs } from './abi.js';
import type { Hex } from './bytes.js';
import { MuContractError, toMuContractError } from './contract-errors.js';
import { checkAddress, type MuDomainInput } from './eip712.js';

/**
 * The context every contract function of this package takes first (viem style: free functions,
 * tree-shakable, no class to subclass). Make one with {@link createMuClient}.
 */
export interface MuClient {
  /** The Mu marketplace contract address (checksummed). */
  readonly address: string;
  /** Reads, logs and receipts go through this provider. */
  readonly provider: Provider;
  /** Sends transactions and signs permits; `undefined` for a read-only client. */
  readonly signer: Signer | undefined;
  /** The marketplace as an ethers `Contract` bound to the signer (or the provider), for anything not wrapped. */
  readonly marketplace: Contract;
  /** Marketplace + token ABI: decodes every event and custom error the calls can produce. */
  readonly interface: Interface;
  /** @internal cache of the chain id. */
  chainId?: bigint;
  /** @internal cache of the payment token address. */
  tokenAddress?: string;
}

/** Options of {@link createMuClient}. */
export interface CreateMuClientOptions {
  /** The Mu marketplace contract address. */
  address: string;
  /** A `Signer` with a provider (writes and reads) or a `Provider` (reads only). */
  runner: Signer | Provider;
}

let sharedInterface: Interface | undefined;
/** @internal The merged marketplace + token interface, built once. */
export function muInterface(): Interface {
  sharedInterface ??= mergeAbis(MuMarketplaceAbi, TestStablecoinAbi);
  return sharedInterface;
}

function isSigner(runner: ContractRunner): runner is Signer {
  return typeof (runner as Signer).getAddress === 'function' && typeof (runner as Signer).signTypedData === 'function';
}

/**
 * Makes the context for the contract functions.
 *
 * @throws {TypeError} when the address is malformed or a signer has no provider.
 * @example
 * ```ts
 * const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, batchMaxCount: 1 });
 * const client = createMuClient({ address: marketplace, runner: new Wallet(key, provider) });
 * const { jobId } = await createJob(client, { provider: providerAccount, region: 1, encryptedSpec, prepayment: 5_000_000n });
 * ```
 */
export function createMuClient(options: CreateMuClientOptions): MuClient {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object.');
  const address = checkAddress(options.address, 'address');
  const runner = options.runner;
  if (typeof runner !== 'object' || runner === null)
    throw new TypeError('runner must be an ethers Signer or Provider.');
  const signer = isSigner(runner) ? runner : undefined;
  const provider = signer ? signer.provider : (runner as Provider);
  if (!provider || typeof provider.getLogs !== 'function') {
    throw new TypeError('runner must be a Provider or a Signer connected to a provider (wallet.connect(provider)).');
  }
  const contractInterface = muInterface();
  return {
    address,
    provider,
    signer,
    marketplace: new Contract(address, contractInterface, runner),
    interface: contractInterface,
  };
}

/**
 * Makes a client from an EIP-1193 browser provider (`window.ethereum`): asks the wallet for the account
 * (`eth_requestAccounts`) unless `readOnly` is set.
 *
 * @example
 * ```ts
 * const client = await createMuClientFromEip1193(window.ethereum, { address: marketplace });
 * ```
 */
export async function createMuClientFromEip1193(
  ethereum: Eip1193Provider,
  options: { address: string; account?: string; readOnly?: boolean },
): Promise<MuClient> {
  if (typeof ethereum?.request !== 'function') throw new TypeError('ethereum must be an EIP-1193 provider.');
  const provider = new BrowserProvider(ethereum);
  if (options.readOnly) return createMuClient({ address: options.address, runner: provider });
  let signer: Signer;
  try {
    signer = await provider.getSigner(options.account);
  } catch (error) {
    throw toMuContractError(error, muInterface());
  }
  return createMuClient({ address: options.address, runner: signer });
}

/**
 * The EIP-712 domain input of the client's deployment (chain id read once and cached).
 *
 * @example
 * ```ts
 * const signed = await signUsageReport(nodeKey, report, await getMuDomain(client));
 * ```
 */
export async function getMuDomain(client: MuClient): Promise<MuDomainInput & { chainId: bigint }> {
  client.chainId ??= await wrap(client, async () => (await client.provider.getNetwork()).chainId);
  return { chainId: client.chainId, verifyingContract: client.address };
}

/** An event emitted by a Mu contract, decoded; uint values are bigint, structs plain objects. */
export interface MuEvent {
  name: string;
  args: Record<string, unknown>;
  address: string;
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  logIndex: number;
}

/** What every write function returns: the mined transaction and its decoded events. */
export interface WriteResult {
  hash: Hex;
  receipt: TransactionReceipt;
  /** The logs of the Mu contracts (marketplace and token) in the receipt, decoded, in log order. */
  events: MuEvent[];
}

/** @internal Decodes logs this package knows; skips foreign ones. */
export function decodeLogs(client: MuClient, logs: readonly Log[]): MuEvent[] {
  const events: MuEvent[] = [];
  for (const log of logs) {
    let parsed: ReturnType<Interface['parseLog']> = null;
    try {
      parsed = client.interface.parseLog(log);
    } catch {
      parsed = null;
    }
    if (!parsed) continue;
    events.push({
      name: parsed.name,
      args: namedArgs(parsed),
      address: log.address,
      blockNumber: log.blockNumber,
      blockHash: log.blockHash,
      transactionHash: log.transactionHash,
      logIndex: log.index,
    });
  }
  return events;
}

/** @internal Runs an ethers call, turning any failure into a MuContractError. */
export async function wrap<T>(client: MuClient, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toMuContractError(error, client.interface);
  }
}

/** @internal The client's signer; TypeError for a read-only client (before any side effect). */
export function requireSigner(client: MuClient): Signer {
  if (!client.signer) throw new TypeError('This client is read-only: create it with a Signer to send transactions.');
  return client.signer;
}

/** @internal Sends a transaction to `target`, waits for it and decodes its events. */
export async function sendTransaction(
  client: MuClient,
  target: Contract,
  method: string,
  args: readonly unknown[],
): Promise<WriteResult> {
  requireSigner(client);
  return wrap(client, async () => {
    const response = await target.getFunction(method).send(...args);
    // Polls the receipt instead of `response.wait()`: on an automining chain under load, wait() can miss the
    // block that mined the transaction and then hang for a block that never comes (see @mu/contracts).
    const receipt = await waitForTransaction(client.provider, response.hash);
    if (receipt.status !== 1) {
      throw new MuContractError(
        'CONTRACT_REVERTED',
        `${method} was mined but reverted; check the contract state and retry.`,
        {
          details: `transaction ${receipt.hash} in block ${receipt.blockNumber}`,
        },
      );
    }
    return { hash: receipt.hash as Hex, receipt, events: decodeLogs(client, receipt.logs) };
  });
}

/** @internal Calls a view function of the marketplace. */
export async function readMarketplace(
  client: MuClient,
  method: string,
  args: readonly unknown[] = [],
): Promise<unknown> {
  return wrap(client, () => client.marketplace.getFunction(method).staticCall(...args));
}

/**
 * The first decoded event with this name in a write result, or `undefined`.
 *
 * @example
 * ```ts
 * const created = findEvent(await createJob(client, args), 'JobCreated');
 * ```
 */
export function findEvent(result: Pick<WriteResult, 'events'>, name: string): MuEvent | undefined {
  return result.events.find((event) => event.name === name);
}
