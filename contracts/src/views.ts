import type { Hex, Prices } from './protocol.js';

// The answers of the marketplace's view functions (`getProvider`, `getOffer`, `getRegionOffers`, `getJob`,
// `getRegions`) as TypeScript reads them, and one decoder per struct: @mu/contract-client and @mu/marketplace
// both read the contract through these, so they cannot disagree on a field. Integers of at most 32 bits
// (ids, counts) are numbers, wider ones bigints, `bytes` 0x-hex.

/** An ABI-decoded struct (an ethers `Result`, or a plain object of one) read by field name. */
type Fields = Record<string, unknown>;

/** A provider as the contract reports it (`registered: false`, zero values, for an account that never registered). */
export interface ProviderRecord {
  provider: string;
  registered: boolean;
  /** Token base units staked. */
  deposit: bigint;
  /** Token base units waiting for the unbonding delay. */
  unbonding: bigint;
  /** Unix seconds when `unbonding` can be withdrawn. */
  unbondingReleaseAt: bigint;
  activeJobs: number;
  /** The compressed secp256k1 key job specs are encrypted to. */
  encryptionKey: Hex;
  metadataURI: string;
}

/** A provider's offer in a region, with the provider's deposit and keys (`OfferView` of the contract). */
export interface OfferRecord {
  provider: string;
  region: number;
  open: boolean;
  gatewayURL: string;
  prices: Prices;
  /** The provider's deposit, in token base units (`providerDeposit` in the ABI). */
  deposit: bigint;
  /** The compressed secp256k1 key job specs are encrypted to. */
  encryptionKey: Hex;
  metadataURI: string;
}

/** A job as the contract stores it (`JobView` of the contract). */
export interface JobRecord {
  id: bigint;
  client: string;
  provider: string;
  region: number;
  /** Token base units left in escrow. */
  escrow: bigint;
  /** Usage that the escrow could not cover. */
  shortfall: bigint;
  exhausted: boolean;
  cancelled: boolean;
  /** Unix seconds when the settlement window of a cancelled job closes (0 while not cancelled). */
  closesAt: bigint;
  /** keccak256 of the current encrypted spec. */
  specHash: Hex;
  /** Block of the latest JobCreated/JobUpdated (where to read the spec). */
  specBlock: bigint;
  /** The prices locked when the job was created. */
  prices: Prices;
}

/** A region: its id (from 1) and name. */
export interface Region {
  id: number;
  name: string;
}

/**
 * The `Prices` struct of an ABI-decoded answer.
 *
 * @example
 * ```ts
 * const prices = toPrices((await marketplace.getFunction('getJob')(1n)).prices);
 * ```
 */
export function toPrices(value: unknown): Prices {
  const fields = value as Fields;
  return {
    perRequest: fields.perRequest as bigint,
    perCpuMs: fields.perCpuMs as bigint,
    perMemoryMbMs: fields.perMemoryMbMs as bigint,
    perKvRead: fields.perKvRead as bigint,
    perKvWrite: fields.perKvWrite as bigint,
    perEgressByte: fields.perEgressByte as bigint,
  };
}

/**
 * The `ProviderView` struct of an ABI-decoded `getProvider` answer.
 *
 * @example
 * ```ts
 * const provider = toProviderRecord(await marketplace.getFunction('getProvider')(account));
 * ```
 */
export function toProviderRecord(value: unknown): ProviderRecord {
  const fields = value as Fields;
  return {
    provider: fields.provider as string,
    registered: fields.registered as boolean,
    deposit: fields.deposit as bigint,
    unbonding: fields.unbonding as bigint,
    unbondingReleaseAt: fields.unbondingReleaseAt as bigint,
    activeJobs: Number(fields.activeJobs),
    encryptionKey: fields.encryptionKey as Hex,
    metadataURI: fields.metadataURI as string,
  };
}

/**
 * The `OfferView` struct of an ABI-decoded `getOffer` answer (or an item of a `getRegionOffers` page).
 *
 * @example
 * ```ts
 * const offer = toOfferRecord(await marketplace.getFunction('getOffer')(provider, 1));
 * ```
 */
export function toOfferRecord(value: unknown): OfferRecord {
  const fields = value as Fields;
  return {
    provider: fields.provider as string,
    region: Number(fields.region),
    open: fields.open as boolean,
    gatewayURL: fields.gatewayURL as string,
    prices: toPrices(fields.prices),
    deposit: fields.providerDeposit as bigint,
    encryptionKey: fields.encryptionKey as Hex,
    metadataURI: fields.metadataURI as string,
  };
}

/**
 * The `JobView` struct of an ABI-decoded `getJob` answer.
 *
 * @example
 * ```ts
 * const job = toJobRecord(await marketplace.getFunction('getJob')(1n));
 * ```
 */
export function toJobRecord(value: unknown): JobRecord {
  const fields = value as Fields;
  return {
    id: fields.id as bigint,
    client: fields.client as string,
    provider: fields.provider as string,
    region: Number(fields.region),
    escrow: fields.escrow as bigint,
    shortfall: fields.shortfall as bigint,
    exhausted: fields.exhausted as boolean,
    cancelled: fields.cancelled as boolean,
    closesAt: fields.closesAt as bigint,
    specHash: fields.specHash as Hex,
    specBlock: fields.specBlock as bigint,
    prices: toPrices(fields.prices),
  };
}

/**
 * The `RegionView` struct of an item of an ABI-decoded `getRegions` page.
 *
 * @example
 * ```ts
 * const [page] = await marketplace.getFunction('getRegions')(0, 100);
 * const regions = [...page].map(toRegion);
 * ```
 */
export function toRegion(value: unknown): Region {
  const fields = value as Fields;
  return { id: Number(fields.id), name: fields.name as string };
}
