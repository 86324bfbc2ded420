import { eip712Types } from '@mu/contracts';
import { getAddress, type TypedDataDomain, type TypedDataField } from 'ethers';
import { toUint } from './bytes.js';

/** The deployment a signature belongs to: the chain and the Mu marketplace contract. */
export interface MuDomainInput {
  chainId: bigint | number;
  /** The Mu marketplace contract address. */
  verifyingContract: string;
}

/** EIP-712 domain name of the Mu marketplace (protocol.md). */
export const MU_DOMAIN_NAME = 'Mu';
/** EIP-712 domain version of the Mu marketplace (protocol.md). */
export const MU_DOMAIN_VERSION = '1';

/**
 * The EIP-712 domain `{ name: "Mu", version: "1", chainId, verifyingContract }`.
 *
 * @throws {TypeError} / {@link RangeError} for a bad chain id or address.
 * @example
 * ```ts
 * const domain = muDomain({ chainId: 31337n, verifyingContract: marketplaceAddress });
 * ```
 */
export function muDomain(input: MuDomainInput): TypedDataDomain {
  if (typeof input !== 'object' || input === null) throw new TypeError('domain must be an object.');
  return {
    name: MU_DOMAIN_NAME,
    version: MU_DOMAIN_VERSION,
    chainId: toUint(input.chainId, 256, 'domain.chainId'),
    verifyingContract: checkAddress(input.verifyingContract, 'domain.verifyingContract'),
  };
}

/** @internal A checksummed address; TypeError when the value is not an address. */
export function checkAddress(value: unknown, name: string): string {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value)) {
    throw new TypeError(`${name} must be a 0x-prefixed 20-byte address.`);
  }
  try {
    return getAddress(value);
  } catch (cause) {
    throw new TypeError(`${name} has a wrong EIP-55 checksum; pass it all lowercase or correctly checksummed.`, {
      cause,
    });
  }
}

/**
 * `NodeCertificate(address node,address provider,uint32 region,uint64 notAfter)`, the one definition the
 * contracts package ships (protocol.md).
 */
export const NODE_CERTIFICATE_TYPES: Record<string, TypedDataField[]> = {
  NodeCertificate: eip712Types.NodeCertificate,
};

/**
 * `UsageReport(uint64 jobId,address node,uint64 sequence,uint64 periodStart,uint64 periodEnd,uint64 requests,
 * uint64 cpuMs,uint64 memoryMbMs,uint64 kvReads,uint64 kvWrites,uint64 egressBytes)`, from the contracts package.
 */
export const USAGE_REPORT_TYPES: Record<string, TypedDataField[]> = {
  UsageReport: eip712Types.UsageReport,
};

/**
 * Off-chain execution receipt (not checked by the contract):
 * `ExecutionReceipt(uint64 jobId,address node,bytes32 requestHash,bytes32 responseHash,uint64 timestamp,RequestUsage usage)`
 * `RequestUsage(uint64 cpuMs,uint64 memoryMbMs,uint64 kvReads,uint64 kvWrites,uint64 egressBytes)`.
 */
export const EXECUTION_RECEIPT_TYPES: Record<string, TypedDataField[]> = {
  ExecutionReceipt: [
    { name: 'jobId', type: 'uint64' },
    { name: 'node', type: 'address' },
    { name: 'requestHash', type: 'bytes32' },
    { name: 'responseHash', type: 'bytes32' },
    { name: 'timestamp', type: 'uint64' },
    { name: 'usage', type: 'RequestUsage' },
  ],
  RequestUsage: [
    { name: 'cpuMs', type: 'uint64' },
    { name: 'memoryMbMs', type: 'uint64' },
    { name: 'kvReads', type: 'uint64' },
    { name: 'kvWrites', type: 'uint64' },
    { name: 'egressBytes', type: 'uint64' },
  ],
};
