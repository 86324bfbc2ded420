import type { Prices } from '@mu/contracts';

/** @internal An ethers `Result` read by field name. */
type Fields = Record<string, unknown>;

/** @internal */
export function pricesFrom(value: unknown): Prices {
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

/** An offer as the contract stores it. */
export interface OfferView {
  provider: string;
  region: number;
  open: boolean;
  gatewayURL: string;
  prices: Prices;
  /** The provider's deposit, in token base units. */
  deposit: bigint;
  /** The compressed secp256k1 key job specs are encrypted to. */
  encryptionKey: string;
  metadataURI: string;
}

/** @internal */
export function offerFrom(value: unknown): OfferView {
  const fields = value as Fields;
  return {
    provider: fields.provider as string,
    region: Number(fields.region),
    open: fields.open as boolean,
    gatewayURL: fields.gatewayURL as string,
    prices: pricesFrom(fields.prices),
    deposit: fields.providerDeposit as bigint,
    encryptionKey: fields.encryptionKey as string,
    metadataURI: fields.metadataURI as string,
  };
}

/** A job as the contract stores it. */
export interface JobView {
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
  specHash: string;
  specBlock: bigint;
  /** The prices locked when the job was created. */
  prices: Prices;
}

/** @internal */
export function jobFrom(value: unknown): JobView {
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
    specHash: fields.specHash as string,
    specBlock: fields.specBlock as bigint,
    prices: pricesFrom(fields.prices),
  };
}
