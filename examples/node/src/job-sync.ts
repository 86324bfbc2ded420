import {
  decryptJobEventSpec,
  type JobEvent,
  type JobSpec,
  type MuClient,
  type MuDomainInput,
} from '@mu/contract-client';
import { errorResponse } from '@mu/errors';
import type { ResolvedJob } from '@mu/gateway';
import type { AppOptions, Runtime } from '@mu/runtime';
import { fetchCode } from './code.js';
import type { NodeConfig } from './config.js';
import { createJobTable, type JobEntry, type JobStatus, type JobTable } from './job-table.js';
import type { Logger } from './logger.js';

/** A job of the provider as this node has it: its chain state, whether the runtime has it, and why not. */
export interface JobRegistration {
  jobId: string;
  status: JobStatus;
  registered: boolean;
  /** Why the node refused the job's spec or code (first line of the error). */
  error?: string;
}

/** Options of {@link startJobSync}. */
export interface JobSyncOptions {
  client: MuClient;
  /** The provider whose jobs the node serves (the certificate's). */
  provider: string;
  /** The marketplace's EIP-712 domain: the associated data of the specs' encryption. */
  domain: MuDomainInput;
  runtime: Runtime;
  config: Pick<NodeConfig, 'region' | 'fromBlock' | 'pollingIntervalMs' | 'encryptionKey'>;
  log: Logger;
}

/** The provider's jobs on chain, kept registered with this node's runtime. */
export interface JobSync {
  /** Resolves once every job event up to the head at start has been handled. */
  readonly synced: Promise<void>;
  /** Serves a request (job id in the `mu-job-id` header) on this node's runtime; waits for a registration in progress. */
  serve(request: Request): Promise<Response>;
  /** What the gateway needs to know of a job, or `undefined` for a job this node never saw. */
  resolveJob(jobId: string): ResolvedJob | undefined;
  jobs(): JobRegistration[];
  /** Requests {@link JobSync.serve} handed to the runtime since start. */
  requestsServed(): number;
  /** Stops following the chain. */
  close(): Promise<void>;
}

interface JobState {
  entry: JobEntry;
  spec?: JobSpec;
  registered: boolean;
  error?: string;
  /** The registration in progress: requests wait for it rather than miss the job. */
  ready: Promise<void>;
}

/** The runtime's id of a job: `job-{jobId}` (also the job's MuDB namespace). */
export const runtimeJobId = (jobId: bigint | string): string => `job-${jobId}`;

/** The on-chain job id of a runtime id made by {@link runtimeJobId}. */
export const chainJobId = (runtimeId: string): bigint => BigInt(runtimeId.slice('job-'.length));

function appOptions(spec: JobSpec): AppOptions {
  return {
    // lazy: the runtime calls the loader only when its transpile cache lacks this sha256
    component: () => fetchCode(spec.code),
    sha256: spec.code.sha256,
    env: spec.env,
    limits: {
      memoryMb: spec.limits.memoryMb,
      timeoutMs: spec.limits.timeoutMs,
      maxBodyBytes: spec.limits.maxBodyBytes,
    },
    ...(spec.kv ? { kv: { quotaBytes: spec.kv.quotaBytes } } : {}),
  };
}

/**
 * Follows the provider's jobs in the config's region (`createJobTable`) and keeps the runtime in step: each
 * `JobCreated`/`JobUpdated` spec is decrypted with the provider's key and registered or updated, in chain order per
 * job; a spec or code the node refuses is kept as the job's `error` (its requests answer 404 here).
 *
 * @example
 * ```ts
 * const sync = startJobSync({ client, provider, domain, runtime, config, log: jsonLogger });
 * await sync.synced;
 * const response = await sync.serve(new Request('http://node/', { headers: { 'mu-job-id': '1' } }));
 * ```
 */
export function startJobSync(options: JobSyncOptions): JobSync {
  const { runtime, log, config } = options;
  const jobs = new Map<string, JobState>();
  let requestsServed = 0;

  async function apply(event: Extract<JobEvent, { type: 'JobCreated' | 'JobUpdated' }>, state: JobState) {
    const spec = decryptJobEventSpec(event, config.encryptionKey, options.domain);
    const id = runtimeJobId(event.jobId);
    if (runtime.has(id)) await runtime.update(id, appOptions(spec));
    else await runtime.register(id, appOptions(spec));
    state.spec = spec;
    state.registered = true;
    delete state.error;
  }

  const onEvent = (event: JobEvent, entry: JobEntry) => {
    const key = String(event.jobId);
    let state = jobs.get(key);
    if (state === undefined) {
      state = { entry, registered: false, ready: Promise.resolve() };
      jobs.set(key, state);
    }
    if (event.type === 'JobCreated' || event.type === 'JobUpdated') {
      const current = state;
      // registrations of one job run in chain order; an update does not stop requests already running
      current.ready = current.ready
        .then(() => apply(event, current))
        .catch((error: unknown) => {
          current.error = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
          log('error', 'job refused', { jobId: key, event: event.type, error: current.error });
        });
    } else {
      log('info', `job ${event.type}`, { jobId: key, status: entry.status });
    }
  };

  const table: JobTable = createJobTable(options.client, {
    provider: options.provider,
    region: config.region,
    fromBlock: config.fromBlock,
    pollingIntervalMs: config.pollingIntervalMs,
    onEvent,
    onError: (error) => log('warn', 'watching the chain failed; retrying', { error: String(error) }),
  });

  return {
    synced: table.synced,
    async serve(request) {
      const jobId = request.headers.get('mu-job-id') ?? '';
      const state = jobs.get(jobId);
      if (state !== undefined) await state.ready;
      if (state === undefined || !state.registered) {
        return errorResponse('RUNTIME_JOB_NOT_FOUND', state?.error ?? 'no such job on this node', { status: 404 });
      }
      requestsServed++;
      return runtime.fetch(runtimeJobId(jobId), request);
    },
    resolveJob(jobId) {
      const state = jobs.get(jobId);
      if (state === undefined) return undefined;
      const info = { status: state.entry.status } as const;
      return state.spec ? { ...info, maxBodyBytes: state.spec.limits.maxBodyBytes } : info;
    },
    jobs: () =>
      [...jobs.entries()].map(([jobId, state]) => ({
        jobId,
        status: state.entry.status,
        registered: state.registered,
        ...(state.error ? { error: state.error } : {}),
      })),
    requestsServed: () => requestsServed,
    close: () => table.close(),
  };
}
