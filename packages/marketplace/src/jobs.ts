import { type JobRecord, toJobRecord } from '@mu/contracts';
import {
  chainTimeRead,
  checkAddress,
  decodeMarketplace,
  type MarketplaceClient,
  marketplaceCall,
  type Read,
  type ReadOutcome,
  readBatch,
} from './client.js';
import { JobNotFoundError } from './errors.js';

/**
 * Where a job stands: `active` (serving), `exhausted` (escrow ran out: top up), `cancelled` (usage can still be
 * settled until `closesAt`), `closed` (settlement window over: the client can claim the refund).
 */
export type JobStatus = 'active' | 'exhausted' | 'cancelled' | 'closed';

/** A job with its status and endpoint. */
export interface Job extends JobRecord {
  status: JobStatus;
  /** `{gatewayURL}/{jobId}` from the provider's current offer in the job's region (undefined if it has none). */
  endpoint: string | undefined;
}

/** A page of jobs and the length of the whole list. */
export interface JobPage {
  items: Job[];
  total: bigint;
  offset: number;
  limit: number;
}

/** @internal A job id argument as a bigint; TypeError / RangeError before any request. */
export function checkJobId(value: unknown): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value)) value = BigInt(value);
  if (typeof value !== 'bigint') throw new TypeError(`jobId must be a bigint or a whole number, got ${typeof value}.`);
  if (value < 1n || value >= 1n << 64n) throw new RangeError(`jobId must be 1 to 2^64-1, got ${value}.`);
  return value;
}

function statusOf(job: JobRecord, now: bigint): JobStatus {
  if (job.cancelled) return job.closesAt >= now ? 'cancelled' : 'closed';
  return job.exhausted ? 'exhausted' : 'active';
}

/** @internal Reads jobs by id in one round trip, then their gateways in a second (each (provider, region) once). */
export async function readJobs(client: MarketplaceClient, ids: readonly bigint[]): Promise<Job[]> {
  return (await readJobsWith(client, ids, [])).jobs;
}

/** @internal {@link readJobs}, with other reads sent in the first round trip (their outcomes in `extra`). */
export async function readJobsWith(
  client: MarketplaceClient,
  ids: readonly bigint[],
  reads: readonly Read[],
): Promise<{ jobs: Job[]; extra: ReadOutcome[] }> {
  const time = await chainTimeRead(client);
  const outcomes = await readBatch(client, [
    ...ids.map((id) => marketplaceCall(client, 'getJob', [id])),
    time.read,
    ...reads,
  ]);
  const now = time.decode(outcomes[ids.length]!);
  const extra = outcomes.slice(ids.length + 1);
  const views = ids.map((id, index) =>
    toJobRecord(
      decodeMarketplace(client, 'getJob', outcomes[index]!, (name) =>
        name === 'UnknownJob' ? new JobNotFoundError(id) : undefined,
      )[0],
    ),
  );
  const pairs = [...new Set(views.map((job) => `${job.provider}:${job.region}`))];
  const offerOutcomes = await readBatch(
    client,
    pairs.map((pair) => {
      const [provider, region] = pair.split(':');
      return marketplaceCall(client, 'getOffer', [provider, Number(region)]);
    }),
  );
  const gateways = new Map(
    pairs.map((pair, index) => [
      pair,
      (decodeMarketplace(client, 'getOffer', offerOutcomes[index] as ReadOutcome)[0] as { gatewayURL: string })
        .gatewayURL,
    ]),
  );
  const jobs = views.map((job) => {
    const gateway = gateways.get(`${job.provider}:${job.region}`);
    return {
      ...job,
      status: statusOf(job, now),
      endpoint: gateway ? `${gateway.replace(/\/+$/, '')}/${job.id}` : undefined,
    };
  });
  return { jobs, extra };
}

/**
 * One job: status, escrow left, locked prices, endpoint URL (two round trips).
 *
 * @throws {JobNotFoundError} `MARKETPLACE_UNKNOWN_JOB`; {@link RangeError} / {@link TypeError} for a bad id.
 * @example
 * ```ts
 * const job = await getJob(client, { jobId: 1n });
 * console.log(job.status, job.escrow, job.endpoint);
 * ```
 */
export async function getJob(client: MarketplaceClient, options: { jobId: bigint | number }): Promise<Job> {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object.');
  const [job] = await readJobs(client, [checkJobId(options.jobId)]);
  return job!;
}

/** Options of {@link getClientJobs} and {@link getProviderJobs}: a page, oldest job first. */
export interface JobPageOptions {
  /** Index of the first job of the page (default 0). */
  offset?: number;
  /** Jobs per page, 1 to 100 (default 20). */
  limit?: number;
}

async function jobPage(
  client: MarketplaceClient,
  method: 'getClientJobs' | 'getProviderJobs',
  account: string,
  options: JobPageOptions,
): Promise<JobPage> {
  const offset = options.offset ?? 0;
  const limit = options.limit ?? 20;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError('offset must be 0 or more.');
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 100) throw new RangeError('limit must be 1 to 100.');
  const [outcome] = await readBatch(client, [marketplaceCall(client, method, [account, offset, limit])]);
  const [ids, total] = decodeMarketplace(client, method, outcome!) as unknown as [bigint[], bigint];
  const items = ids.length > 0 ? await readJobs(client, [...ids]) : [];
  return { items, total, offset, limit };
}

/**
 * A page of a client's jobs, oldest first (three round trips whatever the page size: ids, jobs, gateways).
 *
 * @throws {TypeError} for a malformed address; {@link RangeError} for a bad page.
 * @example
 * ```ts
 * const { items, total } = await getClientJobs(client, { client: account, offset: 0, limit: 20 });
 * ```
 */
export async function getClientJobs(
  client: MarketplaceClient,
  options: { client: string } & JobPageOptions,
): Promise<JobPage> {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object.');
  return jobPage(client, 'getClientJobs', checkAddress(options.client, 'client'), options);
}

/**
 * A page of a provider's jobs, oldest first (three round trips whatever the page size).
 *
 * @throws {TypeError} for a malformed address; {@link RangeError} for a bad page.
 * @example
 * ```ts
 * const { items } = await getProviderJobs(client, { provider, limit: 50 });
 * ```
 */
export async function getProviderJobs(
  client: MarketplaceClient,
  options: { provider: string } & JobPageOptions,
): Promise<JobPage> {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object.');
  return jobPage(client, 'getProviderJobs', checkAddress(options.provider, 'provider'), options);
}
