import { MuMarketplaceAbi } from '@mu/contracts';
import { getAddress, Interface } from 'ethers';
import { createTtlCache, type TtlCache } from './cache.js';
import { CallRevertedError, type MarketplaceError, RpcError, WrongChainError, WrongContractError } from './errors.js';
import { decodeAggregate3, encodeAggregate3, MULTICALL3_ADDRESS, multicallInterface } from './multicall.js';
import {
  createTransport,
  type Eip1193Provider,
  type RpcOutcome,
  type RpcRequest,
  type Transport,
} from './transport.js';

/** Options of {@link createMarketplaceClient}. */
export interface MarketplaceClientOptions {
  /** An http(s) JSON-RPC URL, or an EIP-1193 provider such as `window.ethereum`. */
  rpc: string | Eip1193Provider;
  /** The Mu marketplace contract address. */
  address: string;
  /** The chain the marketplace lives on; when given, a different chain fails with `MARKETPLACE_WRONG_CHAIN`. */
  chainId?: bigint | number;
  /**
   * Multicall3: `'auto'` (default) uses the canonical deployment at 0xcA11bde05977b3631167028862bE2a173976CA11
   * when the chain has code there; an address uses that deployment; `false` sends one `eth_call` per read
   * (all in one JSON-RPC batch over HTTP).
   */
  multicall?: 'auto' | false | string;
  /** How long a read result is reused, in milliseconds (default 4000; 0 turns the cache off). */
  cacheTtlMs?: number;
  /** First block of event scans (the marketplace's deployment block; default 0). */
  fromBlock?: number;
  /** Reads per Multicall3 `aggregate3` call (default 100). */
  maxCallsPerMulticall?: number;
  /** HTTP timeout in milliseconds (default 15 000). */
  timeoutMs?: number;
  /** JSON-RPC calls per HTTP batch (default 100). */
  maxBatchSize?: number;
}

/**
 * A read-only view of one Mu marketplace over one RPC: the first argument of every query of this package.
 * Make it with {@link createMarketplaceClient}.
 */
export interface MarketplaceClient {
  /** The marketplace address, checksummed. */
  readonly address: string;
  readonly transport: Transport;
  /** The Mu marketplace ABI as an ethers `Interface`. */
  readonly interface: Interface;
  /** The first block of event scans. */
  readonly fromBlock: number;
  /** @internal */
  readonly settings: {
    chainId: bigint | undefined;
    multicall: 'auto' | false | string;
    maxCallsPerMulticall: number;
  };
  /** @internal */
  readonly cache: TtlCache;
  /** @internal the answer of the first connection check. */
  connection?: Promise<Connection> | undefined;
  /** Forgets every cached read (call it after sending a transaction that changes what you show). */
  clearCache(): void;
}

/** What the client learned on its first request. */
export interface Connection {
  chainId: bigint;
  /** The Multicall3 deployment used, or undefined when reads go one `eth_call` each. */
  multicall: string | undefined;
}

let sharedInterface: Interface | undefined;
function marketplaceInterface(): Interface {
  sharedInterface ??= new Interface(MuMarketplaceAbi);
  return sharedInterface;
}

function checkAddress(value: unknown, name: string): string {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value)) {
    throw new TypeError(`${name} must be a 0x-prefixed 20-byte hex address, got ${JSON.stringify(value)}.`);
  }
  return getAddress(value.toLowerCase());
}

/** @internal Checks an address argument (TypeError before any request). */
export { checkAddress };

/**
 * Makes a client for one marketplace. Nothing is sent until the first query, which checks the chain id,
 * that a Mu marketplace answers at `address`, and whether the chain has Multicall3 (three JSON-RPC calls,
 * one HTTP request, once per client).
 *
 * @throws {TypeError} / {@link RangeError} for a malformed RPC, address or option.
 * @example
 * ```ts
 * const client = createMarketplaceClient({ rpc: 'http://127.0.0.1:8545', address: marketplace, chainId: 31337 });
 * const regions = await getRegions(client);
 * ```
 */
export function createMarketplaceClient(options: MarketplaceClientOptions): MarketplaceClient {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object.');
  const address = checkAddress(options.address, 'address');
  const multicall = options.multicall ?? 'auto';
  if (multicall !== 'auto' && multicall !== false) checkAddress(multicall, 'multicall');
  const chainId = options.chainId === undefined ? undefined : BigInt(options.chainId);
  if (chainId !== undefined && chainId <= 0n) throw new RangeError('chainId must be positive.');
  const ttl = options.cacheTtlMs ?? 4000;
  if (!Number.isFinite(ttl) || ttl < 0) throw new RangeError('cacheTtlMs must be 0 or more.');
  const fromBlock = options.fromBlock ?? 0;
  if (!Number.isSafeInteger(fromBlock) || fromBlock < 0) throw new RangeError('fromBlock must be a block number.');
  const maxCallsPerMulticall = options.maxCallsPerMulticall ?? 100;
  if (!Number.isSafeInteger(maxCallsPerMulticall) || maxCallsPerMulticall < 1) {
    throw new RangeError('maxCallsPerMulticall must be a positive integer.');
  }
  const transportOptions = {
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.maxBatchSize === undefined ? {} : { maxBatchSize: options.maxBatchSize }),
  };
  const transport = createTransport(options.rpc, transportOptions);
  const cache = createTtlCache(ttl);
  return {
    address,
    transport,
    interface: marketplaceInterface(),
    fromBlock,
    settings: {
      chainId,
      multicall: multicall === 'auto' || multicall === false ? multicall : getAddress(multicall),
      maxCallsPerMulticall,
    },
    cache,
    clearCache: () => cache.clear(),
  };
}

function rpcFailure(request: RpcRequest, outcome: Extract<RpcOutcome, { ok: false }>): RpcError {
  return new RpcError(outcome.error.code, {
    details: `${request.method}: ${outcome.error.message}`,
    cause: outcome.error,
  });
}

/**
 * Checks the chain and the contract once per client (again after a failure).
 *
 * @throws {WrongChainError} / {@link WrongContractError} / {@link RpcUnreachableError}.
 * @example
 * ```ts
 * const { chainId, multicall } = await connect(client);
 * ```
 */
export function connect(client: MarketplaceClient): Promise<Connection> {
  client.connection ??= check(client).catch((error: unknown) => {
    client.connection = undefined;
    throw error;
  });
  return client.connection;
}

async function check(client: MarketplaceClient): Promise<Connection> {
  const { multicall } = client.settings;
  const batch: RpcRequest[] = [
    { method: 'eth_chainId', params: [] },
    {
      method: 'eth_call',
      params: [{ to: client.address, data: client.interface.encodeFunctionData('eip712Domain') }, 'latest'],
    },
  ];
  if (multicall === 'auto') batch.push({ method: 'eth_getCode', params: [MULTICALL3_ADDRESS, 'latest'] });
  const [chainOutcome, domainOutcome, codeOutcome] = await client.transport.send(batch);
  if (!chainOutcome!.ok) throw rpcFailure(batch[0]!, chainOutcome as Extract<RpcOutcome, { ok: false }>);
  const chainId = BigInt(chainOutcome!.value as string);
  if (client.settings.chainId !== undefined && chainId !== client.settings.chainId) {
    throw new WrongChainError(client.settings.chainId, chainId);
  }
  let name: unknown;
  try {
    if (!domainOutcome!.ok) throw new Error(domainOutcome!.error.message);
    name = client.interface.decodeFunctionResult('eip712Domain', domainOutcome!.value as string)[1];
  } catch (error) {
    throw new WrongContractError(client.address, {
      cause: error,
      details: `eip712Domain() on chain ${chainId} did not answer as a Mu marketplace (${(error as Error).message})`,
    });
  }
  if (name !== 'Mu') {
    throw new WrongContractError(client.address, { details: `eip712Domain() names "${String(name)}", not "Mu"` });
  }
  let multicallAddress: string | undefined;
  if (multicall === 'auto') {
    if (codeOutcome?.ok && typeof codeOutcome.value === 'string' && codeOutcome.value.length > 2) {
      multicallAddress = MULTICALL3_ADDRESS;
    }
  } else if (multicall) {
    multicallAddress = multicall;
  }
  return { chainId, multicall: multicallAddress };
}

/** A contract read: where, the calldata, and how to decode the answer. */
export interface ContractRead {
  to: string;
  data: string;
}

/** A read of the batch: a contract call (batched into Multicall3 when there is one) or a plain JSON-RPC request. */
export type Read = { call: ContractRead } | { rpc: RpcRequest };

/** The answer to one read: the return bytes / RPC result, or the revert bytes / RPC error. */
export type ReadOutcome = { ok: true; value: unknown } | { ok: false; revert: string | undefined; message: string };

function keyOf(read: Read): string {
  return 'call' in read ? `call:${read.call.to}:${read.call.data}` : `rpc:${JSON.stringify(read.rpc)}`;
}

function revertData(error: { data?: unknown }): string | undefined {
  return typeof error.data === 'string' && error.data.startsWith('0x') ? error.data : undefined;
}

/**
 * Sends many reads in as few round trips as possible: the uncached contract calls go in Multicall3
 * `aggregate3` calls (or one `eth_call` each without Multicall3) and everything goes in ONE transport batch
 * (one HTTP request). Identical reads within the cache TTL are answered from the cache. The building block of
 * every query, for advanced callers.
 *
 * @example
 * ```ts
 * const [outcome] = await readBatch(client, [marketplaceCall(client, 'jobCount')]);
 * ```
 */
export async function readBatch(client: MarketplaceClient, reads: readonly Read[]): Promise<ReadOutcome[]> {
  const connection = await connect(client);
  const pending: Pending[] = [];
  const promises = reads.map((read) => {
    const key = keyOf(read);
    const cached = client.cache.get(key) as Promise<ReadOutcome> | undefined;
    if (cached) return cached;
    const promise = new Promise<ReadOutcome>((resolve, reject) => pending.push({ read, key, resolve, reject }));
    client.cache.set(key, promise);
    return promise;
  });
  if (pending.length > 0) await send(client, connection, pending);
  return Promise.all(promises);
}

interface Pending {
  read: Read;
  key: string;
  resolve: (outcome: ReadOutcome) => void;
  reject: (error: unknown) => void;
}

/** One request of the transport batch and the pending reads it answers. */
interface Answer {
  entries: Pending[];
  handle: (outcome: RpcOutcome) => void;
}

async function send(client: MarketplaceClient, connection: Connection, pending: Pending[]): Promise<void> {
  const requests: RpcRequest[] = [];
  const answers: Answer[] = [];
  const calls = pending.filter((entry) => 'call' in entry.read);
  const multicall = connection.multicall;
  if (multicall && calls.length > 1) {
    const size = client.settings.maxCallsPerMulticall;
    for (let start = 0; start < calls.length; start += size) {
      const chunk = calls.slice(start, start + size);
      const data = encodeAggregate3(chunk.map((entry) => (entry.read as { call: ContractRead }).call));
      requests.push({ method: 'eth_call', params: [{ to: multicall, data }, 'latest'] });
      answers.push({
        entries: chunk,
        handle: (outcome) => {
          if (!outcome.ok) {
            throw new CallRevertedError(undefined, {
              details: `Multicall3 aggregate3: ${outcome.error.message}`,
              cause: outcome.error,
            });
          }
          let results: ReturnType<typeof decodeAggregate3>;
          try {
            results = decodeAggregate3(outcome.value as string);
          } catch (error) {
            throw new CallRevertedError(undefined, {
              cause: error,
              details: `Multicall3 at ${multicall} gave no aggregate3 answer: is it deployed on this chain? (multicall: false reads without it)`,
            });
          }
          chunk.forEach((entry, index) => {
            const result = results[index]!;
            entry.resolve(
              result.success
                ? { ok: true, value: result.returnData }
                : { ok: false, revert: result.returnData, message: 'execution reverted' },
            );
          });
        },
      });
    }
  } else {
    for (const entry of calls) {
      const { call } = entry.read as { call: ContractRead };
      requests.push({ method: 'eth_call', params: [{ to: call.to, data: call.data }, 'latest'] });
      answers.push({
        entries: [entry],
        handle: (outcome) =>
          entry.resolve(
            outcome.ok
              ? { ok: true, value: outcome.value }
              : { ok: false, revert: revertData(outcome.error), message: outcome.error.message },
          ),
      });
    }
  }
  for (const entry of pending) {
    if (!('rpc' in entry.read)) continue;
    const request = entry.read.rpc;
    requests.push(request);
    answers.push({
      entries: [entry],
      handle: (outcome) => {
        if (!outcome.ok) throw rpcFailure(request, outcome);
        entry.resolve({ ok: true, value: outcome.value });
      },
    });
  }
  const fail = (entries: Pending[], error: unknown) => {
    for (const entry of entries) {
      client.cache.delete(entry.key);
      entry.reject(error);
    }
  };
  let outcomes: RpcOutcome[];
  try {
    outcomes = await client.transport.send(requests);
  } catch (error) {
    fail(pending, error);
    return;
  }
  answers.forEach((answer, index) => {
    try {
      answer.handle(outcomes[index]!);
    } catch (error) {
      fail(answer.entries, error);
    }
  });
}

/** A marketplace function call to put in a batch. */
export function marketplaceCall(client: MarketplaceClient, name: string, args: readonly unknown[] = []): Read {
  return { call: { to: client.address, data: client.interface.encodeFunctionData(name, args) } };
}

/**
 * Decodes a marketplace read, or throws: a revert the caller maps (`onRevert` returns an error for a known
 * custom error name), else {@link CallRevertedError}; empty return data means no contract at the address.
 * @internal
 */
export function decodeMarketplace(
  client: MarketplaceClient,
  name: string,
  outcome: ReadOutcome,
  onRevert?: (errorName: string, args: readonly unknown[]) => MarketplaceError | undefined,
): ReturnType<Interface['decodeFunctionResult']> {
  if (!outcome.ok) {
    let parsed: ReturnType<Interface['parseError']> = null;
    try {
      parsed = outcome.revert ? client.interface.parseError(outcome.revert) : null;
    } catch {
      parsed = null;
    }
    const mapped = parsed ? onRevert?.(parsed.name, [...parsed.args]) : undefined;
    if (mapped) throw mapped;
    throw new CallRevertedError(parsed?.name, {
      details: `${name}: ${outcome.message} ${outcome.revert ?? ''}`.trim(),
    });
  }
  if (outcome.value === '0x') {
    throw new WrongContractError(client.address, {
      details: `${name}() returned no data: no contract code at the address`,
    });
  }
  // A cached outcome is the same object for every caller within the TTL: decode it once (ethers needs
  // about 0.3 ms per offer struct, 30 ms for a page of 100).
  const known = decoded.get(outcome);
  if (known) return known;
  try {
    const result = client.interface.decodeFunctionResult(name, outcome.value as string);
    decoded.set(outcome, result);
    return result;
  } catch (error) {
    throw new WrongContractError(client.address, {
      cause: error,
      details: `${name}() returned data this ABI cannot decode`,
    });
  }
}

const decoded = new WeakMap<ReadOutcome, ReturnType<Interface['decodeFunctionResult']>>();

/** @internal The Multicall3 `getCurrentBlockTimestamp()` read, or `eth_getBlockByNumber('latest')` without Multicall3. */
export async function chainTimeRead(
  client: MarketplaceClient,
): Promise<{ read: Read; decode: (outcome: ReadOutcome) => bigint }> {
  const { multicall } = await connect(client);
  if (multicall) {
    const iface = multicallInterface();
    return {
      read: { call: { to: multicall, data: iface.encodeFunctionData('getCurrentBlockTimestamp') } },
      decode: (outcome) => {
        if (!outcome.ok) throw new CallRevertedError('getCurrentBlockTimestamp', { details: outcome.message });
        return iface.decodeFunctionResult('getCurrentBlockTimestamp', outcome.value as string)[0] as bigint;
      },
    };
  }
  return {
    read: { rpc: { method: 'eth_getBlockByNumber', params: ['latest', false] } },
    decode: (outcome) => BigInt((outcome as { value: { timestamp: string } }).value.timestamp),
  };
}
