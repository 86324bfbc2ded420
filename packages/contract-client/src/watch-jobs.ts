import type { BytesInput } from './bytes.js';
import { toUint } from './bytes.js';
import { decodeLogs, type MuClient, type MuEvent, wrap } from './client.js';
import { checkAddress, type MuDomainInput } from './eip712.js';
import { decryptJobSpec } from './envelope.js';
import { ChainReorganizedError } from './errors.js';
import type { JobSpec } from './job-spec.js';
import type { Prices } from './prices.js';
import { getJob, getProviderJobs } from './reads.js';

/** Where an event sits in the chain; `cursor` (`"block:logIndex"`) resumes a watch right after it. */
export interface EventPosition {
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  logIndex: number;
  cursor: string;
}

/** The job an event belongs to (known from JobCreated or read from the contract). */
export interface JobParties {
  jobId: bigint;
  client: string;
  provider: string;
  region: number;
}

/** An event of one of the provider's jobs in the watched region. */
export type JobEvent = EventPosition &
  JobParties &
  (
    | { type: 'JobCreated'; prepayment: bigint; prices: Prices; encryptedSpec: string }
    | { type: 'JobUpdated'; encryptedSpec: string }
    | { type: 'JobToppedUp'; from: string; amount: bigint; escrow: bigint }
    | { type: 'JobCancelled'; by: string; closesAt: bigint }
    | { type: 'JobExhausted'; uncovered: bigint }
  );

/** Options of {@link watchJobs}. */
export interface WatchJobsOptions {
  /** The provider account whose jobs to follow. */
  provider: string;
  /** The region id. */
  region: number;
  /** First block to read (e.g. the deployment block, or the block of the last event handled). */
  fromBlock?: number;
  /** Resume strictly after this event (its `cursor`); implies `fromBlock` = its block. */
  after?: string;
  /** Only deliver events this many blocks deep (default 0: the latest block). */
  confirmations?: number;
  /** Stop after this block instead of following the chain forever. */
  toBlock?: number;
  /** Milliseconds between polls for new blocks (default 1000). */
  pollingIntervalMs?: number;
  /** Blocks per `eth_getLogs` call (default 2000; many RPC providers cap the range). */
  maxBlockRange?: number;
  /** Stops the iteration. */
  signal?: AbortSignal;
}

const EVENT_NAMES = ['JobCreated', 'JobUpdated', 'JobToppedUp', 'JobCancelled', 'JobExhausted'] as const;

function parseCursor(cursor: string): [number, number] {
  const match = /^(\d+):(\d+)$/.exec(cursor);
  if (!match) throw new TypeError('after must be an event cursor "block:logIndex".');
  return [Number(match[1]), Number(match[2])];
}

function sleep(milliseconds: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, milliseconds);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

async function knownJobs(client: MuClient, provider: string, region: number): Promise<Map<bigint, JobParties>> {
  const jobs = new Map<bigint, JobParties>();
  let offset = 0n;
  for (;;) {
    const page = await getProviderJobs(client, { provider, offset, limit: 100 });
    const infos = await Promise.all(page.items.map((jobId) => getJob(client, { jobId })));
    for (const info of infos) {
      if (info.region === region) jobs.set(info.id, { jobId: info.id, client: info.client, provider, region });
    }
    offset += BigInt(page.items.length);
    if (page.items.length === 0 || offset >= page.total) return jobs;
  }
}

/**
 * Follows the jobs of one provider in one region: an async iterator of JobCreated, JobUpdated, JobToppedUp,
 * JobCancelled and JobExhausted events, in chain order, each once. Polls `eth_getLogs` (works with any
 * JSON-RPC node and browser wallets; no filters or subscriptions needed).
 *
 * Resuming: store the `cursor` of the last event you handled and pass it as `after`; nothing at or before
 * it is delivered again. Choose `confirmations` for the chain's finality: before reading new blocks the
 * watcher checks that the block of the last delivered event is still in the chain, and throws
 * {@link ChainReorganizedError} when it is not (it cannot take back what it delivered).
 *
 * @throws {MuContractError} `CONTRACT_CALL_FAILED` when the node cannot be reached (from the iterator):
 *   start again with `after` set to the last cursor handled.
 * @throws {ChainReorganizedError} `WATCH_REORGANIZED` after a reorganization deeper than `confirmations`.
 * @example
 * ```ts
 * for await (const event of watchJobs(client, { provider, region: 1, fromBlock: deployBlock, confirmations: 2 })) {
 *   if (event.type === 'JobCreated') register(event.jobId, decryptJobSpec(event.encryptedSpec, key, { ... }));
 *   saveCursor(event.cursor);
 * }
 * ```
 */
export async function* watchJobs(
  client: MuClient,
  options: WatchJobsOptions,
): AsyncGenerator<JobEvent, void, undefined> {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object.');
  const provider = checkAddress(options.provider, 'provider');
  const region = Number(toUint(options.region, 32, 'region'));
  const confirmations = Number(toUint(options.confirmations ?? 0, 32, 'confirmations'));
  const pollingIntervalMs = Number(toUint(options.pollingIntervalMs ?? 1000, 32, 'pollingIntervalMs'));
  const maxBlockRange = Number(toUint(options.maxBlockRange ?? 2000, 32, 'maxBlockRange'));
  if (maxBlockRange < 1) throw new RangeError('maxBlockRange must be at least 1.');
  let last: [number, number] = options.after === undefined ? [-1, -1] : parseCursor(options.after);
  let lastHash: string | undefined;
  let next = options.after === undefined ? Number(toUint(options.fromBlock ?? 0, 53, 'fromBlock')) : last[0];
  const toBlock = options.toBlock === undefined ? undefined : Number(toUint(options.toBlock, 53, 'toBlock'));
  const { signal } = options;

  const jobs = await wrap(client, () => knownJobs(client, provider, region));
  const topics = [EVENT_NAMES.map((name) => client.interface.getEvent(name)!.topicHash)];

  while (!signal?.aborted) {
    const head = await wrap(client, () => client.provider.getBlockNumber());
    const safe = Math.min(head - confirmations, toBlock ?? Number.POSITIVE_INFINITY);
    if (next <= safe) {
      if (lastHash !== undefined) {
        const block = await wrap(client, () => client.provider.getBlock(last[0]));
        if (block?.hash !== lastHash) throw new ChainReorganizedError(last[0], lastHash, block?.hash ?? undefined);
      }
      const end = Math.min(safe, next + maxBlockRange - 1);
      const logs = await wrap(client, () =>
        client.provider.getLogs({ address: client.address, topics, fromBlock: next, toBlock: end }),
      );
      const events = decodeLogs(client, logs).sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
      for (const event of events) {
        if (event.blockNumber < last[0] || (event.blockNumber === last[0] && event.logIndex <= last[1])) continue;
        const jobEvent = toJobEvent(event, jobs, provider, region);
        if (!jobEvent) continue;
        last = [event.blockNumber, event.logIndex];
        lastHash = event.blockHash;
        yield jobEvent;
        if (signal?.aborted) return;
      }
      next = end + 1;
      continue;
    }
    if (toBlock !== undefined && next > toBlock) return;
    await sleep(pollingIntervalMs, signal);
  }
}

function toJobEvent(
  event: MuEvent,
  jobs: Map<bigint, JobParties>,
  provider: string,
  region: number,
): JobEvent | undefined {
  const args = event.args;
  const jobId = args.jobId as bigint;
  if (event.name === 'JobCreated') {
    if (args.provider !== provider || args.region !== region) return undefined;
    jobs.set(jobId, { jobId, client: args.client as string, provider, region });
  }
  const parties = jobs.get(jobId);
  if (!parties) return undefined;
  const position: EventPosition = {
    blockNumber: event.blockNumber,
    blockHash: event.blockHash,
    transactionHash: event.transactionHash,
    logIndex: event.logIndex,
    cursor: `${event.blockNumber}:${event.logIndex}`,
  };
  switch (event.name) {
    case 'JobCreated':
      return {
        type: 'JobCreated',
        ...position,
        ...parties,
        prepayment: args.prepayment as bigint,
        prices: args.prices as Prices,
        encryptedSpec: args.encryptedSpec as string,
      };
    case 'JobUpdated':
      return { type: 'JobUpdated', ...position, ...parties, encryptedSpec: args.encryptedSpec as string };
    case 'JobToppedUp':
      return {
        type: 'JobToppedUp',
        ...position,
        ...parties,
        from: args.from as string,
        amount: args.amount as bigint,
        escrow: args.escrow as bigint,
      };
    case 'JobCancelled':
      return {
        type: 'JobCancelled',
        ...position,
        ...parties,
        by: args.by as string,
        closesAt: args.closesAt as bigint,
      };
    case 'JobExhausted':
      return { type: 'JobExhausted', ...position, ...parties, uncovered: args.uncovered as bigint };
    default:
      return undefined;
  }
}

/**
 * Opens the spec carried by a `JobCreated` or `JobUpdated` event from {@link watchJobs}: the context is
 * the event's client and provider on this chain and marketplace.
 *
 * @throws {DecryptionError} / {@link EnvelopeMalformedError} / {@link JobSpecError} as `decryptJobSpec`.
 * @example
 * ```ts
 * for await (const event of watchJobs(client, { provider, region: 1 })) {
 *   if (event.type === 'JobCreated' || event.type === 'JobUpdated') {
 *     const spec = decryptJobEventSpec(event, encryptionKey.privateKey, await getMuDomain(client));
 *   }
 * }
 * ```
 */
export function decryptJobEventSpec(
  event: Extract<JobEvent, { type: 'JobCreated' | 'JobUpdated' }>,
  privateKey: BytesInput,
  domain: MuDomainInput,
): JobSpec {
  return decryptJobSpec(event.encryptedSpec, privateKey, {
    chainId: domain.chainId,
    contract: domain.verifyingContract,
    client: event.client,
    provider: event.provider,
  });
}
