import { encodeUsageReports } from '@mu/contracts';
import { Signature } from 'ethers';
import type { Hex } from './bytes.js';
import { type MuClient, type MuEvent, sendTransaction, type WriteResult } from './client.js';
import type { MuDomainInput } from './eip712.js';
import { ConflictingReportsError } from './errors.js';
import { normalizeNodeCertificate, type SignedNodeCertificate, verifyNodeCertificate } from './node-key.js';
import { normalizeUsageReport, type SignedUsageReport, verifyUsageReport } from './usage-report.js';

/** The contract's limits on one `settleUsage` call. */
export const SETTLEMENT_LIMITS = {
  /** `settleUsage` accepts at most 256 certificates (the index is one byte). */
  maxCertificates: 256,
  /** Reports per call chosen by {@link buildSettlements}: well below a 30M gas block. */
  defaultMaxReports: 200,
} as const;

/** A certificate as the contract's `SignedCertificate` struct (EIP-2098 compact signature). */
export interface CertificateArgument {
  certificate: { node: string; provider: string; region: number; notAfter: bigint };
  signature: { r: string; vs: string };
}

/** One `settleUsage` call, ready to send. */
export interface Settlement {
  /** The certificates, once per node that signed a report in this batch. */
  certificates: CertificateArgument[];
  /** The packed reports (`USAGE_REPORT_SIZE` bytes each, `@mu/contracts`) in settlement order. */
  reports: Hex;
  /** The reports in the order they are packed. */
  entries: SignedUsageReport[];
}

/** A report left out of a settlement, and why. */
export interface RejectedReport {
  signed: SignedUsageReport;
  reason: 'no-certificate' | 'invalid-certificate' | 'invalid-signature' | 'duplicate';
}

/** Options of {@link buildSettlements}. */
export interface BuildSettlementOptions {
  /**
   * When given, every certificate and report is verified off chain first and bad ones are left out
   * (one bad report would revert the whole batch on chain).
   */
  domain?: MuDomainInput;
  /** Unix seconds: with `domain`, certificates expired at this time are left out. */
  now?: bigint | number;
  /** Reports per settlement (default {@link SETTLEMENT_LIMITS}.defaultMaxReports). */
  maxReports?: number;
}

function compare(a: bigint | string, b: bigint | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** @internal The contract's struct for a signed certificate. */
export function certificateArgument(signed: SignedNodeCertificate): CertificateArgument {
  const signature = Signature.from(signed.signature);
  return {
    certificate: normalizeNodeCertificate(signed.certificate),
    signature: { r: signature.r, vs: signature.yParityAndS },
  };
}

/**
 * Turns many signed reports and the nodes' certificates into `settleUsage` calls: each certificate once
 * per call, reports grouped by provider (one credit write per provider) and ordered by job, node and
 * sequence (the contract requires increasing sequences), exact duplicates dropped.
 *
 * @returns The settlements (several when there are more than `maxReports` reports or 256 nodes) and the reports left out.
 * @throws {ConflictingReportsError} `SETTLEMENT_CONFLICTING_REPORTS` when a node signed two different reports
 *   for one job and sequence (evidence for `proveEquivocation`; pass `domain` so that a forged report is left
 *   out as `invalid-signature` instead of looking like equivocation).
 * @throws {TypeError} / {@link RangeError} for malformed reports or certificates.
 * @example
 * ```ts
 * const { settlements } = buildSettlements(reports, certificates, { domain });
 * for (const settlement of settlements) await settleUsage(client, settlement);
 * ```
 */
export function buildSettlements(
  reports: readonly SignedUsageReport[],
  certificates: readonly SignedNodeCertificate[],
  options: BuildSettlementOptions = {},
): { settlements: Settlement[]; rejected: RejectedReport[] } {
  if (!Array.isArray(reports) || !Array.isArray(certificates))
    throw new TypeError('reports and certificates must be arrays.');
  const maxReports = options.maxReports ?? SETTLEMENT_LIMITS.defaultMaxReports;
  if (!Number.isSafeInteger(maxReports) || maxReports < 1)
    throw new RangeError('maxReports must be a positive integer.');

  const certificateByNode = new Map<string, { signed: SignedNodeCertificate; valid: boolean }>();
  for (const signed of certificates) {
    const certificate = normalizeNodeCertificate(signed.certificate);
    const valid = options.domain
      ? verifyNodeCertificate(signed, options.domain, options.now === undefined ? {} : { now: options.now })
      : true;
    const known = certificateByNode.get(certificate.node);
    // One certificate per node and call (the packed report names its node through the certificate index):
    // prefer a valid one, then the one that lasts longest.
    if (
      !known ||
      (valid && !known.valid) ||
      (valid === known.valid && certificate.notAfter > known.signed.certificate.notAfter)
    ) {
      certificateByNode.set(certificate.node, { signed: { certificate, signature: signed.signature }, valid });
    }
  }

  const rejected: RejectedReport[] = [];
  const accepted = new Map<string, { signed: SignedUsageReport; digest: string }>();
  for (const input of reports) {
    const signed = { report: normalizeUsageReport(input.report), signature: input.signature };
    const certificate = certificateByNode.get(signed.report.node);
    if (!certificate) {
      rejected.push({ signed, reason: 'no-certificate' });
      continue;
    }
    if (!certificate.valid) {
      rejected.push({ signed, reason: 'invalid-certificate' });
      continue;
    }
    if (options.domain && !verifyUsageReport(signed, options.domain)) {
      rejected.push({ signed, reason: 'invalid-signature' });
      continue;
    }
    const { jobId, node, sequence } = signed.report;
    const key = `${jobId}:${node}:${sequence}`;
    // Same (job, node, sequence) with different content is equivocation, not a duplicate.
    const digest = Object.values(signed.report).join(':');
    const previous = accepted.get(key);
    if (previous) {
      if (previous.digest !== digest) throw new ConflictingReportsError(previous.signed, signed, jobId, node, sequence);
      rejected.push({ signed, reason: 'duplicate' });
      continue;
    }
    accepted.set(key, { signed, digest });
  }

  const ordered = [...accepted.values()]
    .map(({ signed }) => ({ signed, provider: certificateByNode.get(signed.report.node)!.signed.certificate.provider }))
    .sort(
      (a, b) =>
        compare(a.provider.toLowerCase(), b.provider.toLowerCase()) ||
        compare(a.signed.report.jobId, b.signed.report.jobId) ||
        compare(a.signed.report.node.toLowerCase(), b.signed.report.node.toLowerCase()) ||
        compare(a.signed.report.sequence, b.signed.report.sequence),
    );

  const settlements: Settlement[] = [];
  let batch: SignedUsageReport[] = [];
  let nodes = new Map<string, number>();
  const flush = () => {
    if (batch.length === 0) return;
    const indexed = batch.map((signed) => ({
      certificateIndex: nodes.get(signed.report.node)!,
      report: signed.report,
      signature: signed.signature,
    }));
    settlements.push({
      certificates: [...nodes.keys()].map((node) => certificateArgument(certificateByNode.get(node)!.signed)),
      reports: encodeUsageReports(indexed) as Hex,
      entries: batch,
    });
    batch = [];
    nodes = new Map();
  };
  for (const { signed } of ordered) {
    const node = signed.report.node;
    if (batch.length >= maxReports || (!nodes.has(node) && nodes.size >= SETTLEMENT_LIMITS.maxCertificates)) flush();
    if (!nodes.has(node)) nodes.set(node, nodes.size);
    batch.push(signed);
  }
  flush();
  return { settlements, rejected };
}

/** One report settled on chain, from the `UsageSettled` events. */
export interface SettledReport {
  jobId: bigint;
  node: string;
  sequence: bigint;
  /** Token base units taken from the escrow (less than the price when the escrow ran out). */
  charged: bigint;
}

/**
 * Sends one settlement (anyone may; nodes need no gas).
 *
 * @throws {MuContractError} e.g. `CONTRACT_STALE_SEQUENCE`, `CONTRACT_INVALID_REPORT_SIGNATURE`,
 *   `CONTRACT_CERTIFICATE_EXPIRED`, `CONTRACT_SETTLEMENT_WINDOW_CLOSED` (the whole batch reverts).
 * @example
 * ```ts
 * const { settled, exhausted } = await settleUsage(client, settlement);
 * ```
 */
export async function settleUsage(
  client: MuClient,
  settlement: { certificates: readonly CertificateArgument[]; reports: string },
): Promise<WriteResult & { settled: SettledReport[]; exhausted: bigint[] }> {
  if (typeof settlement !== 'object' || settlement === null) throw new TypeError('settlement must be an object.');
  const result = await sendTransaction(client, client.marketplace, 'settleUsage', [
    settlement.certificates,
    settlement.reports,
  ]);
  const byName = (name: string) => result.events.filter((event: MuEvent) => event.name === name);
  return {
    ...result,
    settled: byName('UsageSettled').map((event) => event.args as unknown as SettledReport),
    exhausted: byName('JobExhausted').map((event) => event.args.jobId as bigint),
  };
}

/**
 * Proves a node signed two different reports for the same job and sequence: slashes its provider, pays
 * the caller the reward share and revokes the node.
 *
 * @throws {MuContractError} e.g. `CONTRACT_REPORTS_NOT_CONFLICTING`, `CONTRACT_NODE_IS_REVOKED`.
 * @example
 * ```ts
 * await proveEquivocation(client, { certificate, first, second });
 * ```
 */
export async function proveEquivocation(
  client: MuClient,
  args: { certificate: SignedNodeCertificate; first: SignedUsageReport; second: SignedUsageReport },
): Promise<WriteResult> {
  if (typeof args !== 'object' || args === null) throw new TypeError('args must be an object.');
  const compact = (signature: string) => {
    const parsed = Signature.from(signature);
    return { r: parsed.r, vs: parsed.yParityAndS };
  };
  return sendTransaction(client, client.marketplace, 'proveEquivocation', [
    certificateArgument(args.certificate),
    normalizeUsageReport(args.first.report),
    compact(args.first.signature),
    normalizeUsageReport(args.second.report),
    compact(args.second.signature),
  ]);
}
