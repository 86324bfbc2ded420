import { USAGE_REPORT_UINT64_FIELDS, type UsageReport, type UsageReportUint64Field } from '@mu/contracts';
import { type Signer, TypedDataEncoder, verifyTypedData } from 'ethers';
import { type Hex, toUint } from './bytes.js';
import { checkAddress, type MuDomainInput, muDomain, USAGE_REPORT_TYPES } from './eip712.js';

export type { UsageReport };

/** A {@link UsageReport} as callers write it: numbers or bigints; `node` defaults to the signer. */
export type UsageReportInput = {
  [K in Exclude<keyof UsageReport, 'node'>]: bigint | number;
} & { node?: string };

/** A report and the node's EIP-712 signature over it. */
export interface SignedUsageReport {
  report: UsageReport;
  signature: Hex;
}

/**
 * Checks and normalizes a report: every number a uint64 bigint, the node address checksummed.
 *
 * @throws {TypeError} / {@link RangeError} for a missing or out-of-range field, or `periodEnd < periodStart`.
 * @example
 * ```ts
 * const report = normalizeUsageReport({ ...input, node: nodeKey.address });
 * ```
 */
export function normalizeUsageReport(input: UsageReportInput & { node: string }): UsageReport {
  if (typeof input !== 'object' || input === null) throw new TypeError('report must be an object.');
  const numbers = Object.fromEntries(
    USAGE_REPORT_UINT64_FIELDS.map((field) => [field, toUint(input[field], 64, `report.${field}`)]),
  ) as Record<UsageReportUint64Field, bigint>;
  if (numbers.periodEnd < numbers.periodStart) throw new RangeError('report.periodEnd must not be before periodStart.');
  return {
    jobId: numbers.jobId,
    node: checkAddress(input.node, 'report.node'),
    sequence: numbers.sequence,
    periodStart: numbers.periodStart,
    periodEnd: numbers.periodEnd,
    requests: numbers.requests,
    cpuMs: numbers.cpuMs,
    memoryMbMs: numbers.memoryMbMs,
    kvReads: numbers.kvReads,
    kvWrites: numbers.kvWrites,
    egressBytes: numbers.egressBytes,
  };
}

/**
 * The node signs its usage of one job for one period (EIP-712, domain `Mu`/`1`).
 *
 * @param nodeSigner The node key (from `generateNodeKey`, or any ethers `Signer`).
 * @param input The report; `node` may be left out (it is the signer's address) but must match when given.
 * @param domain The chain id and marketplace address.
 * @throws {TypeError} / {@link RangeError} for bad fields or a `node` that is not the signer, before signing.
 * @example
 * ```ts
 * const signed = await signUsageReport(nodeKey, {
 *   jobId: 1n, sequence: 1n, periodStart: 1_700_000_000n, periodEnd: 1_700_000_060n,
 *   requests: 120n, cpuMs: 300n, memoryMbMs: 9_600n, kvReads: 40n, kvWrites: 4n, egressBytes: 65_536n,
 * }, domain);
 * ```
 */
export async function signUsageReport(
  nodeSigner: Signer,
  input: UsageReportInput,
  domain: MuDomainInput,
): Promise<SignedUsageReport> {
  if (typeof input !== 'object' || input === null) throw new TypeError('report must be an object.');
  const typedDomain = muDomain(domain);
  const signerAddress = await nodeSigner.getAddress();
  const report = normalizeUsageReport({ ...input, node: input.node ?? signerAddress });
  if (report.node !== signerAddress) {
    throw new TypeError(`report.node ${report.node} is not the signer ${signerAddress}; sign with that node's key.`);
  }
  const signature = (await nodeSigner.signTypedData(typedDomain, USAGE_REPORT_TYPES, report)) as Hex;
  return { report, signature };
}

/**
 * Checks that a report was signed by the node it names, under this domain.
 *
 * @returns `true` when the signature recovers to `report.node`; `false` for any changed field, another
 *   domain, or a malformed signature.
 * @throws {TypeError} / {@link RangeError} when the report fields or domain are malformed.
 * @example
 * ```ts
 * if (!verifyUsageReport(signed, domain)) throw new Error('forged report');
 * ```
 */
export function verifyUsageReport(signed: SignedUsageReport, domain: MuDomainInput): boolean {
  const report = normalizeUsageReport(signed.report);
  const typedDomain = muDomain(domain);
  try {
    return verifyTypedData(typedDomain, USAGE_REPORT_TYPES, report, signed.signature) === report.node;
  } catch {
    return false;
  }
}

/**
 * The EIP-712 digest of a report: what the node signs; two different digests for one (job, node, sequence) prove equivocation.
 *
 * @example
 * ```ts
 * const digest = hashUsageReport(signed.report, domain);
 * ```
 */
export function hashUsageReport(report: UsageReport, domain: MuDomainInput): Hex {
  return TypedDataEncoder.hash(muDomain(domain), USAGE_REPORT_TYPES, normalizeUsageReport(report)) as Hex;
}
