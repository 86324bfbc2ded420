import { type JobEvent, type MuClient, type Prices, watchJobs } from '@mu/contract-client';

/** What the gateway needs to know of a job: its on-chain state. */
export type JobStatus = 'active' | 'exhausted' | 'cancelled';

/** A job of the provider in the region, as the chain says. */
export interface JobEntry {
  jobId: bigint;
  client: string;
  status: JobStatus;
  /** The prices locked when the job was created. */
  prices: Prices;
  /** Escrow after the last top-up seen (settlements lower it without an event here). */
  lastKnownEscrow: bigint;
}

/** Options of {@link createJobTable}. */
export interface JobTableOptions {
  provider: string;
  region: number;
  fromBlock: number;
  pollingIntervalMs: number;
  /** Called for every event, in chain order, after the table is updated; awaited before the next one. */
  onEvent?: (event: JobEvent, entry: JobEntry) => Promise<void> | void;
  /** Where failures of the watch go (it restarts from the last event handled). */
  onError?: (error: unknown) => void;
}

/** The provider's jobs in one region, kept up to date from the chain. */
export interface JobTable {
  get(jobId: bigint): JobEntry | undefined;
  jobs(): JobEntry[];
  /** Resolves once every event up to the head at start has been handled. */
  synced: Promise<void>;
  close(): Promise<void>;
}

function sleep(milliseconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, milliseconds);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Follows the provider's jobs with `watchJobs`: job created → active, exhausted → exhausted, topped up → active,
 * cancelled → cancelled. A failed poll (RPC down) is retried from the last event handled, so nothing is missed
 * or delivered twice.
 *
 * @example
 * ```ts
 * const table = createJobTable(client, { provider, region: 1, fromBlock: 0, pollingIntervalMs: 500 });
 * await table.synced;
 * console.log(table.get(1n)?.status);
 * ```
 */
export function createJobTable(client: MuClient, options: JobTableOptions): JobTable {
  const entries = new Map<bigint, JobEntry>();
  const controller = new AbortController();
  const signal = controller.signal;
  let cursor: string | undefined;
  let markSynced!: () => void;
  let failSynced!: (error: unknown) => void;
  const synced = new Promise<void>((resolve, reject) => {
    markSynced = resolve;
    failSynced = reject;
  });
  synced.catch(() => {});

  async function handle(event: JobEvent): Promise<void> {
    let entry = entries.get(event.jobId);
    if (event.type === 'JobCreated') {
      entry = {
        jobId: event.jobId,
        client: event.client,
        status: 'active',
        prices: event.prices,
        lastKnownEscrow: event.prepayment,
      };
      entries.set(event.jobId, entry);
    }
    if (entry === undefined) return;
    if (event.type === 'JobToppedUp') {
      entry.lastKnownEscrow = event.escrow;
      if (entry.status === 'exhausted') entry.status = 'active';
    } else if (event.type === 'JobExhausted') {
      if (entry.status === 'active') entry.status = 'exhausted';
    } else if (event.type === 'JobCancelled') {
      entry.status = 'cancelled';
    }
    await options.onEvent?.(event, entry);
    cursor = event.cursor;
  }

  async function follow(toBlock?: number): Promise<void> {
    const watch = watchJobs(client, {
      provider: options.provider,
      region: options.region,
      pollingIntervalMs: options.pollingIntervalMs,
      signal,
      ...(cursor === undefined ? { fromBlock: options.fromBlock } : { after: cursor }),
      ...(toBlock === undefined ? {} : { toBlock }),
    });
    for await (const event of watch) await handle(event);
  }

  const running = (async () => {
    // first catch up to the head as it was at start (so the node knows its jobs before it serves), then follow
    let caughtUp = false;
    while (!signal.aborted) {
      try {
        if (!caughtUp) {
          const head = await client.provider.getBlockNumber();
          await follow(head);
          caughtUp = true;
          markSynced();
        } else {
          await follow();
        }
      } catch (error) {
        if (signal.aborted) break;
        options.onError?.(error);
        await sleep(Math.max(options.pollingIntervalMs, 200), signal);
      }
    }
    if (!caughtUp) failSynced(new Error('the job table was closed before it caught up with the chain'));
  })();

  return {
    get: (jobId) => entries.get(jobId),
    jobs: () => [...entries.values()],
    synced,
    async close() {
      controller.abort();
      await running;
    },
  };
}
