import type { Runtime } from '@mu/runtime';
import { chainJobId } from './job-sync.js';
import type { Logger } from './logger.js';
import type { UsageLedger } from './usage-ledger.js';

/** Options of {@link startUsagePeriods}. */
export interface UsagePeriodsOptions {
  runtime: Pick<Runtime, 'takeUsage'>;
  ledger: UsageLedger;
  /** Length of a usage period, ms: one report per job per period. */
  periodMs: number;
  /** Interval between settlement rounds, ms (a round also follows each period). */
  settleIntervalMs: number;
  log: Logger;
}

/** The node's usage periods and settlement rounds, on timers. */
export interface UsagePeriods {
  /** Closes the current period at once (sign + persist a report per job that did anything) and settles. */
  flush(): Promise<void>;
  /** Stops the timers; a {@link UsagePeriods.flush} after it still closes the period. */
  stop(): void;
}

/**
 * Every `periodMs`, takes the runtime's meters per job, records one signed report per job in the ledger (persisted
 * before it is sent), then runs a settlement round. Periods and their rounds never overlap: each waits for the one
 * before. Reports a previous run left pending are settled at once.
 *
 * @example
 * ```ts
 * const periods = startUsagePeriods({ runtime, ledger, periodMs: 60_000, settleIntervalMs: 60_000, log });
 * await periods.flush(); // on shutdown
 * periods.stop();
 * ```
 */
export function startUsagePeriods(options: UsagePeriodsOptions): UsagePeriods {
  const { runtime, ledger, log } = options;
  let periodStart = Date.now();
  const closePeriod = async () => {
    const periodEnd = Date.now();
    const usage = runtime.takeUsage();
    const start = periodStart;
    periodStart = periodEnd;
    for (const [id, used] of usage) {
      if (used.requests === 0 && used.kvWrites === 0 && used.kvReads === 0) continue;
      await ledger.record(chainJobId(id), start, periodEnd, {
        requests: used.requests,
        cpuMs: used.cpuMs,
        memoryMbMs: used.memoryMbMs,
        kvReads: used.kvReads,
        kvWrites: used.kvWrites,
        egressBytes: used.bytesOut,
      });
    }
  };
  let periodChain: Promise<void> = Promise.resolve();
  const flush = () => {
    periodChain = periodChain
      .then(closePeriod)
      .then(() => ledger.settle())
      .catch((error: unknown) => log('error', 'usage period failed', { error: String(error) }));
    return periodChain;
  };
  const periodTimer = setInterval(flush, options.periodMs);
  const settleTimer =
    options.settleIntervalMs === options.periodMs
      ? undefined
      : setInterval(() => {
          ledger.settle().catch(() => {});
        }, options.settleIntervalMs);
  // reports a previous run left pending are settled at once
  void ledger.settle().catch(() => {});
  return {
    flush,
    stop() {
      clearInterval(periodTimer);
      if (settleTimer) clearInterval(settleTimer);
    },
  };
}
