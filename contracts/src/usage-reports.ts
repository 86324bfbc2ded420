import { Signature, type SignatureLike } from 'ethers';
import type { UsageReport } from './protocol.js';
import { USAGE_REPORT_UINT64_FIELDS } from './usage-report-fields.js';

/**
 * Bytes per packed report in `settleUsage` (MuMarketplace.REPORT_SIZE): the certificate index (1), the
 * {@link USAGE_REPORT_UINT64_FIELDS} (8 each) and the compact signature (64).
 */
export const USAGE_REPORT_SIZE = 145;

/** A report signed by its node, and the index of that node's certificate in the same `settleUsage` call. */
export interface SignedUsageReport {
  /** Index into the `certificates` argument of `settleUsage` (0-255); its node is the report's node. */
  certificateIndex: number;
  report: UsageReport;
  /** The node's signature over the report's EIP-712 digest (65-byte hex, compact, or an ethers Signature). */
  signature: SignatureLike;
}

const UINT64_MAX = (1n << 64n) - 1n;

function uint64Hex(value: bigint, field: string): string {
  if (typeof value !== 'bigint') throw new TypeError(`${field} must be a bigint, got ${typeof value}`);
  if (value < 0n || value > UINT64_MAX) throw new RangeError(`${field} must fit in uint64, got ${value}`);
  return value.toString(16).padStart(16, '0');
}

/**
 * Packs signed reports into the `reports` bytes of `MuMarketplace.settleUsage`: per report, big-endian,
 * certificateIndex (1 byte), jobId, sequence, periodStart, periodEnd, requests, cpuMs, memoryMbMs, kvReads,
 * kvWrites, egressBytes (8 bytes each), then the EIP-2098 compact signature r (32) and yParityAndS (32).
 * @param reports The signed reports, in the order they are settled (group a provider's reports together:
 *   its credit is written once per run of consecutive reports).
 * @returns The packed bytes as 0x-hex.
 * @throws TypeError or RangeError when a field is not a uint64 bigint or an index is not 0-255.
 * @example
 * ```ts
 * const packed = encodeUsageReports([{ certificateIndex: 0, report, signature }]);
 * await marketplace.settleUsage([signedCertificate], packed);
 * ```
 */
export function encodeUsageReports(reports: readonly SignedUsageReport[]): string {
  if (!Array.isArray(reports)) throw new TypeError('reports must be an array');
  if (reports.length === 0) throw new RangeError('reports must not be empty');
  let hex = '0x';
  for (const [position, entry] of reports.entries()) {
    const { certificateIndex, report } = entry;
    if (!Number.isInteger(certificateIndex) || certificateIndex < 0 || certificateIndex > 255) {
      throw new RangeError(`reports[${position}].certificateIndex must be an integer 0-255, got ${certificateIndex}`);
    }
    hex += certificateIndex.toString(16).padStart(2, '0');
    for (const field of USAGE_REPORT_UINT64_FIELDS)
      hex += uint64Hex(report[field], `reports[${position}].report.${field}`);
    const signature = Signature.from(entry.signature);
    hex += signature.r.slice(2) + signature.yParityAndS.slice(2);
  }
  return hex;
}
