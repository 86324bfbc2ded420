/**
 * The usage counters of a report, in protocol order: what a node metered for one job in one period, and what
 * the job's prices are charged on (`requests` × `perRequest` + `cpuMs` × `perCpuMs` + …).
 */
export const USAGE_COUNTER_FIELDS = ['requests', 'cpuMs', 'memoryMbMs', 'kvReads', 'kvWrites', 'egressBytes'] as const;

/**
 * The uint64 fields of a `UsageReport` (every field but `node`) in EIP-712 order, which is also the order
 * `settleUsage` packs them in, 8 bytes each after the certificate index (see {@link encodeUsageReports}).
 * The one list the encoder, the signer's checks and the calldata decoders of the other packages walk.
 */
export const USAGE_REPORT_UINT64_FIELDS = [
  'jobId',
  'sequence',
  'periodStart',
  'periodEnd',
  ...USAGE_COUNTER_FIELDS,
] as const;

/** A uint64 field of a `UsageReport`. */
export type UsageReportUint64Field = (typeof USAGE_REPORT_UINT64_FIELDS)[number];
