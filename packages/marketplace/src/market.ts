import { type Region, toRegion } from '@mu/contracts';
import {
  connect,
  decodeMarketplace,
  type MarketplaceClient,
  marketplaceCall,
  type ReadOutcome,
  readBatch,
} from './client.js';

/** The marketplace's settings and counters, and its payment token. */
export interface MarketplaceInfo {
  chainId: bigint;
  address: string;
  /** The Multicall3 deployment reads go through, or undefined. */
  multicall: string | undefined;
  token: { address: string; symbol: string; decimals: number };
  protocolFeeBps: number;
  minProviderDeposit: bigint;
  regionCount: number;
  jobCount: bigint;
  paused: boolean;
}

/** A region: its id (from 1) and name (defined with the on-chain data in `@mu/contracts`). */
export type { Region };

const ERC20_SYMBOL = '0x95d89b41';
const ERC20_DECIMALS = '0x313ce567';
const PAGE = 100;

/**
 * The marketplace's settings, counters and payment token (two round trips, then cached).
 *
 * @example
 * ```ts
 * const info = await getMarketplaceInfo(client);
 * console.log(info.token.symbol, info.regionCount);
 * ```
 */
export async function getMarketplaceInfo(client: MarketplaceClient): Promise<MarketplaceInfo> {
  const names = ['token', 'protocolFeeBps', 'minProviderDeposit', 'regionCount', 'jobCount', 'paused'] as const;
  const outcomes = await readBatch(
    client,
    names.map((name) => marketplaceCall(client, name)),
  );
  const values = names.map((name, index) => decodeMarketplace(client, name, outcomes[index]!)[0]);
  const token = values[0] as string;
  const [symbolOutcome, decimalsOutcome] = await readBatch(client, [
    { call: { to: token, data: ERC20_SYMBOL } },
    { call: { to: token, data: ERC20_DECIMALS } },
  ]);
  const { chainId, multicall } = await connect(client);
  const coder = client.interface.getAbiCoder();
  const decode = (type: string, outcome: typeof symbolOutcome, fallback: unknown) => {
    try {
      return outcome?.ok ? coder.decode([type], outcome.value as string)[0] : fallback;
    } catch {
      return fallback;
    }
  };
  return {
    chainId,
    address: client.address,
    multicall,
    token: {
      address: token,
      symbol: decode('string', symbolOutcome, '') as string,
      decimals: Number(decode('uint8', decimalsOutcome, 18n)),
    },
    protocolFeeBps: Number(values[1]),
    minProviderDeposit: values[2] as bigint,
    regionCount: Number(values[3]),
    jobCount: values[4] as bigint,
    paused: values[5] as boolean,
  };
}

/** @internal Decodes one page of a paged marketplace list: its items and the length of the whole list. */
export type PageDecoder<T> = (outcome: ReadOutcome) => { items: T[]; total: bigint };

/** @internal A {@link PageDecoder} through the ABI (ethers), mapping each item. */
export function abiPage<T>(client: MarketplaceClient, name: string, map: (item: unknown) => T): PageDecoder<T> {
  return (outcome) => {
    const [page, total] = decodeMarketplace(client, name, outcome) as unknown as [unknown[], bigint];
    return { items: [...page].map(map), total };
  };
}

/** @internal Reads every page of a paged marketplace list: the first page, then the rest in one batch. */
export async function readAllPages<T>(
  client: MarketplaceClient,
  name: string,
  leadingArgs: readonly unknown[],
  decodePage: PageDecoder<T>,
  first?: { outcome: ReadOutcome },
): Promise<{ items: T[]; total: bigint }> {
  const firstOutcome =
    first?.outcome ?? (await readBatch(client, [marketplaceCall(client, name, [...leadingArgs, 0, PAGE])]))[0]!;
  const { items, total } = decodePage(firstOutcome);
  const all = [...items];
  if (total > BigInt(PAGE)) {
    const reads = [];
    for (let offset = PAGE; BigInt(offset) < total; offset += PAGE) {
      reads.push(marketplaceCall(client, name, [...leadingArgs, offset, PAGE]));
    }
    const outcomes = await readBatch(client, reads);
    for (const outcome of outcomes) all.push(...decodePage(outcome).items);
  }
  return { items: all, total };
}

/** @internal The first-page read of {@link readAllPages}, to send in a batch with other reads. */
export function firstPage(client: MarketplaceClient, name: string, leadingArgs: readonly unknown[]) {
  return marketplaceCall(client, name, [...leadingArgs, 0, PAGE]);
}

/** @internal The page decoder of `getRegions`. */
export function regionPage(client: MarketplaceClient): PageDecoder<Region> {
  return abiPage(client, 'getRegions', toRegion);
}

/**
 * Every region, in id order (one `eth_call` per 100 regions, batched).
 *
 * @example
 * ```ts
 * for (const region of await getRegions(client)) console.log(region.id, region.name);
 * ```
 */
export async function getRegions(client: MarketplaceClient): Promise<Region[]> {
  const { items } = await readAllPages(client, 'getRegions', [], regionPage(client));
  return items;
}
