import {
  USAGE_COUNTER_FIELDS,
  USAGE_REPORT_SIZE,
  USAGE_REPORT_UINT64_FIELDS,
  type UsageReportUint64Field,
} from '@mu/contracts';
import { getBytes, toBeHex, toQuantity, zeroPadValue } from 'ethers';
import { type MarketplaceClient, type Read, readBatch } from './client.js';
import type { Usage } from './cost.js';
import { checkJobId, type Job, readJobsWith } from './jobs.js';

/** One settled usage report of the job, from its `UsageSettled` event (and the report in the transaction). */
export interface SettlementPoint {
  blockNumber: number;
  transactionHash: string;
  logIndex: number;
  node: string;
  sequence: bigint;
  /** Token base units taken from the escrow (less than the price when the escrow ran out). */
  charged: bigint;
  /** The report's period in unix seconds and counters: read from the `settleUsage` calldata, absent when the
   *  report was settled through another contract. */
  periodStart?: bigint;
  periodEnd?: bigint;
  usage?: Usage;
}

/** Money put into the job: the prepayment and every top-up. */
export interface DepositPoint {
  blockNumber: number;
  transactionHash: string;
  kind: 'prepayment' | 'topUp';
  amount: bigint;
}

/** Escrow spent per unit of time over the recent settlements. */
export interface BurnRate {
  /** Token base units charged in the window. */
  charged: bigint;
  /** Seconds the window's reports cover (first periodStart to last periodEnd). */
  seconds: bigint;
  /** `charged` scaled to one hour, rounded down. */
  perHour: bigint;
}

/** Usage and charges of a job over time, and how long its escrow lasts at the recent rate. */
export interface JobSpending {
  job: Job;
  /** Oldest period first (log order when a report's period could not be read). */
  settlements: SettlementPoint[];
  deposits: DepositPoint[];
  totals: { charged: bigint; deposited: bigint; usage: Usage };
  /** Undefined until a report with a period of at least one second was settled. */
  burnRate: BurnRate | undefined;
  /** Seconds until the escrow runs out at the burn rate (0 when exhausted; undefined without a rate or when cancelled). */
  secondsLeft: bigint | undefined;
  /** Unix seconds: the last settled period's end plus `secondsLeft`. */
  runsOutAt: bigint | undefined;
}

const EVENTS = ['UsageSettled', 'JobCreated', 'JobToppedUp'] as const;
const ZERO_USAGE: Usage = { requests: 0n, cpuMs: 0n, memoryMbMs: 0n, kvReads: 0n, kvWrites: 0n, egressBytes: 0n };

interface RawLog {
  topics: string[];
  data: string;
  blockNumber: string;
  transactionHash: string;
  logIndex: string;
}

interface DecodedReport {
  jobId: bigint;
  node: string;
  sequence: bigint;
  periodStart: bigint;
  periodEnd: bigint;
  usage: Usage;
}

function readUint64(bytes: Uint8Array, offset: number): bigint {
  let value = 0n;
  for (let index = 0; index < 8; index++) value = (value << 8n) | BigInt(bytes[offset + index]!);
  return value;
}

/** @internal Decodes the reports of a `settleUsage` transaction (layout in @mu/contracts' README). */
export function decodeSettleUsage(client: MarketplaceClient, input: string): DecodedReport[] {
  const [certificates, packed] = client.interface.decodeFunctionData('settleUsage', input) as unknown as [
    { certificate: { node: string } }[],
    string,
  ];
  const bytes = getBytes(packed);
  const reports: DecodedReport[] = [];
  for (let offset = 0; offset + USAGE_REPORT_SIZE <= bytes.length; offset += USAGE_REPORT_SIZE) {
    const certificate = certificates[bytes[offset]!];
    if (!certificate) continue;
    // After the certificate index: the uint64 fields in @mu/contracts' packing order, 8 bytes each.
    const fields = Object.fromEntries(
      USAGE_REPORT_UINT64_FIELDS.map((name, index) => [name, readUint64(bytes, offset + 1 + index * 8)]),
    ) as Record<UsageReportUint64Field, bigint>;
    const usage = Object.fromEntries(USAGE_COUNTER_FIELDS.map((name) => [name, fields[name]])) as Usage;
    reports.push({
      jobId: fields.jobId,
      node: certificate.certificate.node,
      sequence: fields.sequence,
      periodStart: fields.periodStart,
      periodEnd: fields.periodEnd,
      usage,
    });
  }
  return reports;
}

/** Options of {@link getJobSpending}. */
export interface JobSpendingOptions {
  jobId: bigint | number;
  /** Seconds of recent settled periods the burn rate is measured over (default 86 400). */
  burnWindowSeconds?: number;
}

/**
 * A job's usage and charges over time from its settlement events, its deposits, the escrow burn rate and the
 * estimated time until the escrow runs out. Round trips: the job and its logs (one `eth_getLogs` for every
 * event of the job since the client's `fromBlock`), then one `eth_getTransactionByHash` per distinct
 * settlement transaction (all in one batch) to read the reports' periods and counters.
 *
 * @throws {JobNotFoundError} `MARKETPLACE_UNKNOWN_JOB`.
 * @example
 * ```ts
 * const spending = await getJobSpending(client, { jobId: 1n });
 * console.log(spending.totals.charged, spending.burnRate?.perHour, spending.secondsLeft);
 * ```
 */
export async function getJobSpending(client: MarketplaceClient, options: JobSpendingOptions): Promise<JobSpending> {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object.');
  const jobId = checkJobId(options.jobId);
  const window = BigInt(options.burnWindowSeconds ?? 86_400);
  if (window <= 0n) throw new RangeError('burnWindowSeconds must be positive.');
  const topics = EVENTS.map((name) => client.interface.getEvent(name)!.topicHash);
  const logsRead: Read = {
    rpc: {
      method: 'eth_getLogs',
      params: [
        {
          address: client.address,
          fromBlock: toQuantity(client.fromBlock),
          toBlock: 'latest',
          topics: [topics, zeroPadValue(toBeHex(jobId), 32)],
        },
      ],
    },
  };
  // The logs go in the job's first round trip.
  const { jobs, extra } = await readJobsWith(client, [jobId], [logsRead]);
  const job = jobs[0]!;
  const logsOutcome = extra[0];
  const logs = (logsOutcome as { value: RawLog[] }).value;
  const settlements: SettlementPoint[] = [];
  const deposits: DepositPoint[] = [];
  for (const log of logs) {
    const parsed = client.interface.parseLog({ topics: log.topics, data: log.data });
    if (!parsed) continue;
    const position = { blockNumber: Number(log.blockNumber), transactionHash: log.transactionHash };
    if (parsed.name === 'UsageSettled') {
      settlements.push({
        ...position,
        logIndex: Number(log.logIndex),
        node: parsed.args.node as string,
        sequence: parsed.args.sequence as bigint,
        charged: parsed.args.charged as bigint,
      });
    } else if (parsed.name === 'JobCreated') {
      deposits.push({ ...position, kind: 'prepayment', amount: parsed.args.prepayment as bigint });
    } else {
      deposits.push({ ...position, kind: 'topUp', amount: parsed.args.amount as bigint });
    }
  }
  const hashes = [...new Set(settlements.map((point) => point.transactionHash))];
  const transactions = await readBatch(
    client,
    hashes.map((hash) => ({ rpc: { method: 'eth_getTransactionByHash', params: [hash] } })),
  );
  const selector = client.interface.getFunction('settleUsage')!.selector;
  const reports = new Map<string, DecodedReport>();
  transactions.forEach((outcome) => {
    const transaction = (outcome as { value: { to?: string; input?: string } | null }).value;
    if (!transaction?.input?.startsWith(selector) || transaction.to?.toLowerCase() !== client.address.toLowerCase())
      return;
    for (const report of decodeSettleUsage(client, transaction.input)) {
      if (report.jobId === jobId) reports.set(`${report.node}:${report.sequence}`, report);
    }
  });
  const totals = { charged: 0n, deposited: 0n, usage: { ...ZERO_USAGE } };
  for (const point of settlements) {
    totals.charged += point.charged;
    const report = reports.get(`${point.node}:${point.sequence}`);
    if (!report) continue;
    point.periodStart = report.periodStart;
    point.periodEnd = report.periodEnd;
    point.usage = report.usage;
    for (const name of USAGE_COUNTER_FIELDS) totals.usage[name] += report.usage[name];
  }
  for (const deposit of deposits) totals.deposited += deposit.amount;
  // One batch settles reports in (job, node, sequence) order, not in time order: sort by period when known.
  if (settlements.every((point) => point.periodStart !== undefined)) {
    settlements.sort((a, b) =>
      a.periodStart !== b.periodStart
        ? a.periodStart! < b.periodStart!
          ? -1
          : 1
        : a.blockNumber - b.blockNumber || a.logIndex - b.logIndex,
    );
  }
  const burnRate = measureBurnRate(settlements, window);
  let secondsLeft: bigint | undefined;
  let runsOutAt: bigint | undefined;
  if (job.exhausted) secondsLeft = 0n;
  else if (burnRate && burnRate.charged > 0n && !job.cancelled)
    secondsLeft = (job.escrow * burnRate.seconds) / burnRate.charged;
  const lastEnd = settlements.reduce<bigint | undefined>(
    (latest, point) =>
      point.periodEnd !== undefined && (latest === undefined || point.periodEnd > latest) ? point.periodEnd : latest,
    undefined,
  );
  if (secondsLeft !== undefined && lastEnd !== undefined) runsOutAt = lastEnd + secondsLeft;
  return { job, settlements, deposits, totals, burnRate, secondsLeft, runsOutAt };
}

function measureBurnRate(settlements: readonly SettlementPoint[], window: bigint): BurnRate | undefined {
  const timed = settlements.filter((point) => point.periodEnd !== undefined);
  if (timed.length === 0) return undefined;
  // bigints: Math.max/min do not apply.
  let lastEnd = 0n;
  for (const point of timed) if (point.periodEnd! > lastEnd) lastEnd = point.periodEnd!;
  const recent = timed.filter((point) => point.periodEnd! > lastEnd - window);
  let firstStart = lastEnd;
  for (const point of recent) if (point.periodStart! < firstStart) firstStart = point.periodStart!;
  const seconds = lastEnd - firstStart;
  if (seconds <= 0n) return undefined;
  const charged = recent.reduce((sum, point) => sum + point.charged, 0n);
  return { charged, seconds, perHour: (charged * 3600n) / seconds };
}
