import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  buildSettlements,
  getLastSequence,
  type MuClient,
  type MuDomainInput,
  SettlementWindowClosedError,
  type SignedNodeCertificate,
  type SignedUsageReport,
  settleUsage,
  signUsageReport,
  UnknownJobError,
} from '@mu/contract-client';
import type { Signer } from 'ethers';

/** What one job used on this node in one period (the report's counters). */
export interface PeriodUsage {
  requests: number;
  cpuMs: number;
  memoryMbMs: number;
  kvReads: number;
  kvWrites: number;
  egressBytes: number;
}

/** Totals of what this node reported and what the chain settled. */
export interface LedgerStats {
  /** Reports signed since start. */
  signed: number;
  /** Reports waiting to be settled (persisted). */
  pending: number;
  /** Reports settled since start. */
  settled: number;
  /** Token base units charged for the reports settled since start. */
  charged: bigint;
  /** Reports the chain can never take (window closed, unknown job), kept under `rejected/`. */
  rejected: number;
  /** Settlement transactions that failed and will be retried. */
  failedAttempts: number;
  /** The last settlement failure, if any. */
  lastError: string | undefined;
}

/** Options of {@link UsageLedger}. */
export interface UsageLedgerOptions {
  client: MuClient;
  nodeKey: Signer & { address: string };
  certificate: SignedNodeCertificate;
  domain: MuDomainInput;
  /** Reports live here: `pending/` until settled, then `settled/` (or `rejected/`). */
  dir: string;
  maxReportsPerBatch: number;
  log: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

type Stored = { report: Record<string, string>; signature: string };

function toStored(signed: SignedUsageReport): Stored {
  return {
    report: Object.fromEntries(Object.entries(signed.report).map(([key, value]) => [key, String(value)])),
    signature: signed.signature,
  };
}

function fromStored(stored: Stored): SignedUsageReport {
  const { node, ...numbers } = stored.report;
  const report = Object.fromEntries(Object.entries(numbers).map(([key, value]) => [key, BigInt(value)]));
  return {
    report: { ...report, node } as unknown as SignedUsageReport['report'],
    signature: stored.signature as `0x${string}`,
  };
}

function fileName(signed: SignedUsageReport): string {
  return `${signed.report.jobId}-${signed.report.sequence}.json`;
}

/**
 * The node's usage reports: signs one per job per period, writes it to disk before anything is sent (so a
 * crash or restart loses no signed report), settles pending reports in batches, and keeps a report that fails
 * to settle for the next round (never dropped). A report the chain can never accept (its job's settlement
 * window closed) moves to `rejected/` with the reason, for the operator.
 */
export class UsageLedger {
  readonly #options: UsageLedgerOptions;
  readonly #pendingDir: string;
  readonly #settledDir: string;
  readonly #rejectedDir: string;
  #lastSequence = 0n;
  #settling: Promise<void> | undefined;
  readonly #stats: LedgerStats = {
    signed: 0,
    pending: 0,
    settled: 0,
    charged: 0n,
    rejected: 0,
    failedAttempts: 0,
    lastError: undefined,
  };

  constructor(options: UsageLedgerOptions) {
    this.#options = options;
    this.#pendingDir = join(options.dir, 'pending');
    this.#settledDir = join(options.dir, 'settled');
    this.#rejectedDir = join(options.dir, 'rejected');
  }

  /** Creates the folders and counts the reports a previous run left pending. */
  async open(): Promise<void> {
    for (const dir of [this.#pendingDir, this.#settledDir, this.#rejectedDir]) await mkdir(dir, { recursive: true });
    const pending = await this.#pending();
    this.#stats.pending = pending.length;
    for (const signed of pending)
      if (signed.report.sequence > this.#lastSequence) this.#lastSequence = signed.report.sequence;
  }

  stats(): LedgerStats {
    return { ...this.#stats };
  }

  /**
   * Signs and persists one report for a job's usage in a period. The sequence is the signing time in
   * milliseconds (kept strictly increasing), so it also increases across restarts without a counter file.
   */
  async record(
    jobId: bigint,
    periodStartMs: number,
    periodEndMs: number,
    usage: PeriodUsage,
  ): Promise<SignedUsageReport> {
    const now = BigInt(Date.now());
    const sequence = now > this.#lastSequence ? now : this.#lastSequence + 1n;
    this.#lastSequence = sequence;
    const signed = await signUsageReport(
      this.#options.nodeKey,
      {
        jobId,
        sequence,
        periodStart: BigInt(Math.floor(periodStartMs / 1000)),
        periodEnd: BigInt(Math.ceil(periodEndMs / 1000)),
        requests: BigInt(usage.requests),
        cpuMs: BigInt(Math.ceil(usage.cpuMs)),
        memoryMbMs: BigInt(Math.ceil(usage.memoryMbMs)),
        kvReads: BigInt(usage.kvReads),
        kvWrites: BigInt(usage.kvWrites),
        egressBytes: BigInt(usage.egressBytes),
      },
      this.#options.domain,
    );
    await this.#write(this.#pendingDir, signed, toStored(signed));
    this.#stats.signed++;
    this.#stats.pending++;
    return signed;
  }

  /** One settlement round over every pending report (rounds never overlap). */
  settle(): Promise<void> {
    this.#settling ??= this.#settleRound().finally(() => {
      this.#settling = undefined;
    });
    return this.#settling;
  }

  async #write(dir: string, signed: SignedUsageReport, value: unknown): Promise<void> {
    const path = join(dir, fileName(signed));
    const staging = `${path}.tmp`;
    await writeFile(staging, JSON.stringify(value), { flush: true });
    await rename(staging, path);
  }

  async #pending(): Promise<SignedUsageReport[]> {
    const names = (await readdir(this.#pendingDir)).filter((name) => name.endsWith('.json'));
    const reports: SignedUsageReport[] = [];
    for (const name of names) {
      reports.push(fromStored(JSON.parse(await readFile(join(this.#pendingDir, name), 'utf8')) as Stored));
    }
    return reports;
  }

  async #move(signed: SignedUsageReport, to: string, extra: Record<string, unknown>): Promise<void> {
    // the settled copy is written first: a crash in between leaves the report in both folders, and the next
    // round finds it settled on chain (its sequence) instead of sending it twice
    await this.#write(to, signed, { ...toStored(signed), ...extra });
    await rm(join(this.#pendingDir, fileName(signed)), { force: true });
    this.#stats.pending = Math.max(0, this.#stats.pending - 1);
  }

  async #settleRound(): Promise<void> {
    const { client, certificate, domain, log } = this.#options;
    let pending = await this.#pending();
    if (pending.length === 0) return;
    // A report already settled (the node crashed after the transaction, before moving the file) would revert
    // the whole batch as a stale sequence: ask the chain first.
    const last = new Map<bigint, bigint>();
    for (const jobId of new Set(pending.map((signed) => signed.report.jobId))) {
      try {
        last.set(jobId, await getLastSequence(client, { jobId, node: this.#options.nodeKey.address }));
      } catch (error) {
        this.#fail(error);
        return;
      }
    }
    const fresh: SignedUsageReport[] = [];
    for (const signed of pending) {
      if (signed.report.sequence <= (last.get(signed.report.jobId) ?? 0n)) {
        await this.#move(signed, this.#settledDir, { charged: null, note: 'settled before (found on chain)' });
      } else fresh.push(signed);
    }
    pending = fresh;
    const { settlements, rejected } = buildSettlements(pending, [certificate], {
      domain,
      now: Math.floor(Date.now() / 1000),
      maxReports: this.#options.maxReportsPerBatch,
    });
    for (const bad of rejected) {
      if (bad.reason === 'duplicate') continue;
      log('error', 'a usage report cannot be settled', { reason: bad.reason, jobId: String(bad.signed.report.jobId) });
    }
    for (const settlement of settlements) {
      try {
        await this.#send(settlement.entries, settlement);
      } catch (error) {
        // one job's permanent failure must not hold the others back: settle job by job
        this.#fail(error);
        const byJob = new Map<bigint, SignedUsageReport[]>();
        for (const signed of settlement.entries) {
          byJob.set(signed.report.jobId, [...(byJob.get(signed.report.jobId) ?? []), signed]);
        }
        if (byJob.size < 2) await this.#handlePermanent(error, settlement.entries);
        else {
          for (const entries of byJob.values()) {
            const single = buildSettlements(entries, [certificate], { domain }).settlements;
            for (const one of single) {
              try {
                await this.#send(one.entries, one);
              } catch (jobError) {
                this.#fail(jobError);
                await this.#handlePermanent(jobError, one.entries);
              }
            }
          }
        }
      }
    }
  }

  async #send(entries: SignedUsageReport[], settlement: Parameters<typeof settleUsage>[1]): Promise<void> {
    const result = await settleUsage(this.#options.client, settlement);
    const charged = new Map(result.settled.map((item) => [`${item.jobId}:${item.sequence}`, item.charged]));
    for (const signed of entries) {
      const amount = charged.get(`${signed.report.jobId}:${signed.report.sequence}`) ?? 0n;
      this.#stats.settled++;
      this.#stats.charged += amount;
      await this.#move(signed, this.#settledDir, { charged: String(amount), transaction: result.hash });
    }
    this.#options.log('info', 'settled usage', { reports: entries.length, transaction: result.hash });
  }

  async #handlePermanent(error: unknown, entries: SignedUsageReport[]): Promise<void> {
    if (error instanceof SettlementWindowClosedError || error instanceof UnknownJobError) {
      for (const signed of entries) {
        await this.#move(signed, this.#rejectedDir, { reason: (error as Error).message });
        this.#stats.rejected++;
      }
    }
    // anything else (RPC down, nonce, gas): the reports stay pending and the next round retries them
  }

  #fail(error: unknown): void {
    this.#stats.failedAttempts++;
    this.#stats.lastError = error instanceof Error ? error.message.split('\n')[0] : String(error);
    this.#options.log('warn', 'settlement failed; the reports stay pending and are retried', {
      error: this.#stats.lastError,
    });
  }
}
