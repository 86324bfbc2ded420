import type { TypedDataDomain, TypedDataField } from 'ethers';

/** A `0x`-prefixed hex string (bytes and bytes32 values as the ABI decoder returns them). */
export type Hex = `0x${string}`;

/** Prices of an offer, each in token base units times 10^-PRICE_SCALE_DECIMALS. */
export interface Prices {
  perRequest: bigint;
  perCpuMs: bigint;
  perMemoryMbMs: bigint;
  perKvRead: bigint;
  perKvWrite: bigint;
  perEgressByte: bigint;
}

/** The EIP-712 `NodeCertificate` a provider signs for one node key. */
export interface NodeCertificate {
  node: string;
  provider: string;
  region: number;
  notAfter: bigint;
}

/** The EIP-712 `UsageReport` a node signs: what it served for one job in one period, every number a uint64. */
export interface UsageReport {
  jobId: bigint;
  /** The node's signing address. */
  node: string;
  /** Strictly increasing per (jobId, node); the contract refuses a sequence it has already settled. */
  sequence: bigint;
  /** Unix seconds. */
  periodStart: bigint;
  /** Unix seconds, not before `periodStart`. */
  periodEnd: bigint;
  requests: bigint;
  cpuMs: bigint;
  memoryMbMs: bigint;
  kvReads: bigint;
  kvWrites: bigint;
  egressBytes: bigint;
}

/** Prices carry 9 decimals below the token's base unit: charge = Σ counter × price / 10^9, rounded down. */
export const PRICE_SCALE_DECIMALS = 9;

/** The EIP-712 types of the protocol (field order is part of the protocol). */
export const eip712Types: Record<'NodeCertificate' | 'UsageReport', TypedDataField[]> = {
  NodeCertificate: [
    { name: 'node', type: 'address' },
    { name: 'provider', type: 'address' },
    { name: 'region', type: 'uint32' },
    { name: 'notAfter', type: 'uint64' },
  ],
  UsageReport: [
    { name: 'jobId', type: 'uint64' },
    { name: 'node', type: 'address' },
    { name: 'sequence', type: 'uint64' },
    { name: 'periodStart', type: 'uint64' },
    { name: 'periodEnd', type: 'uint64' },
    { name: 'requests', type: 'uint64' },
    { name: 'cpuMs', type: 'uint64' },
    { name: 'memoryMbMs', type: 'uint64' },
    { name: 'kvReads', type: 'uint64' },
    { name: 'kvWrites', type: 'uint64' },
    { name: 'egressBytes', type: 'uint64' },
  ],
};

/**
 * The EIP-712 domain of a Mu marketplace.
 * @param chainId The chain id.
 * @param marketplace The MuMarketplace address (the verifying contract).
 * @returns `{ name: 'Mu', version: '1', chainId, verifyingContract }`.
 * @example
 * ```ts
 * const domain = muDomain(31337n, '0x5FbDB2315678afecb367f032d93F642f64180aa3');
 * ```
 */
export function muDomain(chainId: bigint, marketplace: string): TypedDataDomain {
  return { name: 'Mu', version: '1', chainId, verifyingContract: marketplace };
}
