import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertProtocolCompatible,
  createMuClient,
  decryptJobEventSpec,
  getMuDomain,
  type JobEvent,
  type JobSpec,
  type MuDomainInput,
  verifyNodeCertificate,
} from '@mu/contract-client';
import { createGateway, type Gateway, type NodeSpec } from '@mu/gateway';
import { type MuDB, openMuDB } from '@mu/mudb';
import { RemoteBackend } from '@mu/mudb/server';
import { type AppOptions, createRuntime, type Runtime } from '@mu/runtime';
import { JsonRpcProvider, Wallet } from 'ethers';
import { fetchCode } from './code.js';
import type { MuDBLocation, NodeConfig } from './config.js';
import { ConfigError, ExecutorError } from './errors.js';
import { createDrainableServer, type DrainableServer } from './http-server.js';
import { createJobTable, type JobEntry, type JobTable } from './job-table.js';
import { type LedgerStats, UsageLedger } from './usage-ledger.js';

/** A log line's level. */
export type LogLevel = 'info' | 'warn' | 'error';
/** Where the executor's logs go. */
export type Logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

/** What {@link Executor.status} answers (also served as JSON at `GET /_mu/status` on the node port). */
export interface ExecutorStatus {
  nodeId: string;
  node: string;
  jobs: { jobId: string; status: string; registered: boolean; error?: string }[];
  /** Requests this node's runtime answered since start. */
  requestsServed: number;
  /** Requests this node's gateway routed (to itself or its peers) since start. */
  requestsRouted: number;
  usage: Omit<LedgerStats, 'charged'> & { charged: string };
}

/** A running executor. */
export interface Executor {
  readonly config: NodeConfig;
  /** The gateway endpoint (`{url}/{jobId}/…`). */
  readonly url: string;
  /** The node endpoint the provider's gateways forward to (`mu-job-id` header, path without the job id). */
  readonly nodeUrl: string;
  status(): ExecutorStatus;
  /** Closes one usage period at once (sign + persist a report per job) and runs a settlement round. */
  flushUsage(): Promise<void>;
  /** Graceful stop: stop accepting, drain in-flight requests, flush usage, settle what can be settled. */
  stop(): Promise<void>;
}

interface JobState {
  entry: JobEntry;
  spec?: JobSpec;
  registered: boolean;
  error?: string;
  /** The registration in progress: requests wait for it rather than miss the job. */
  ready: Promise<void>;
}

const runtimeJobId = (jobId: bigint | string) => `job-${jobId}`;

/** The JSON log line the CLI writes to stderr. */
export const jsonLogger: Logger = (level, message, fields = {}) => {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
};

/**
 * Opens the node's MuDB where the config says: in memory, LevelDB in a folder, the provider's MuDB server, or
 * PostgreSQL (`@mu/mudb/postgres`, loaded only then).
 *
 * @example
 * ```ts
 * const db = await openNodeStore({ kind: 'server', host: '10.0.0.5', port: 7070, clientId: 'node', secret });
 * ```
 */
export async function openNodeStore(location: MuDBLocation): Promise<MuDB> {
  if (location.kind === 'memory') return openMuDB();
  if (location.kind === 'postgres') {
    const { createPostgresBackend } = await import('@mu/mudb/postgres');
    return openMuDB({ backend: createPostgresBackend({ connectionString: location.url, schema: location.schema }) });
  }
  if (location.kind === 'server') {
    return openMuDB({
      backend: new RemoteBackend({
        host: location.host,
        port: location.port,
        clientId: location.clientId,
        secret: location.secret,
      }),
    });
  }
  const { ClassicLevel } = await import('classic-level');
  await mkdir(location.path, { recursive: true });
  return openMuDB({ level: new ClassicLevel<string, Uint8Array>(location.path, { valueEncoding: 'view' }) });
}

/**
 * Starts the reference executor: follows the provider's jobs in its region on chain, opens their specs,
 * registers them with the runtime (code fetched and checked on first load), serves them through the gateway
 * (own runtime in-process, peers over HTTP), meters usage per job per period, and settles signed reports.
 *
 * @throws {ConfigError} `NODE_CONFIG_INVALID` when the chain disagrees with the config (certificate, keys).
 * @throws {ExecutorError} `NODE_START_FAILED` when the chain, MuDB or a port cannot be reached.
 * @example
 * ```ts
 * const executor = await startExecutor(loadConfig({ file: 'node.json' }));
 * console.log(executor.url);
 * await executor.stop();
 * ```
 */
export async function startExecutor(config: NodeConfig, log: Logger = jsonLogger): Promise<Executor> {
  const rpc = new JsonRpcProvider(config.rpcUrl, undefined, {
    staticNetwork: true,
    batchMaxCount: 1,
    cacheTimeout: -1,
    pollingInterval: Math.min(config.pollingIntervalMs, 1000),
  });
  const operator = new Wallet(config.operatorKey, rpc);
  const nodeKey = new Wallet(config.nodeKey);
  const client = createMuClient({ address: config.marketplace, runner: operator });
  const cleanups: (() => Promise<unknown> | unknown)[] = [() => rpc.destroy()];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await Promise.resolve(step()).catch(() => {});
  };

  try {
    let domain: MuDomainInput;
    try {
      await assertProtocolCompatible(client);
      domain = await getMuDomain(client);
    } catch (error) {
      throw new ExecutorError(
        'NODE_START_FAILED',
        `cannot use the marketplace at ${config.marketplace} through ${config.rpcUrl}`,
        {
          cause: error,
          details: error instanceof Error ? error.message : String(error),
        },
      );
    }
    const certificate = config.certificate;
    if (certificate.certificate.node.toLowerCase() !== nodeKey.address.toLowerCase()) {
      throw new ConfigError(
        'certificate',
        `certifies ${certificate.certificate.node}, not this node key (${nodeKey.address})`,
      );
    }
    if (!verifyNodeCertificate(certificate, domain, { now: Math.floor(Date.now() / 1000) })) {
      throw new ConfigError(
        'certificate',
        'is not signed by its provider for this chain and marketplace, or has expired',
      );
    }
    const provider = certificate.certificate.provider;

    const mudb = await openNodeStore(config.mudb).catch((error: unknown) => {
      throw new ExecutorError(
        'NODE_START_FAILED',
        'cannot open MuDB; check the mudb setting and that the MuDB server runs',
        {
          cause: error,
        },
      );
    });
    cleanups.push(() => mudb.close());
    const runtime: Runtime = await createRuntime({
      workers: config.workers,
      mudb,
      cacheDir: join(config.dataDir, 'runtime-cache'),
      onLog: (entry) => {
        if (entry.level === 'error' || entry.level === 'warn')
          log('warn', `app log: ${entry.message}`, { jobId: entry.jobId });
      },
    });
    cleanups.push(() => runtime.close());

    const ledger = new UsageLedger({
      client,
      nodeKey,
      certificate,
      domain,
      dir: join(config.dataDir, 'reports'),
      maxReportsPerBatch: config.maxReportsPerBatch,
      log,
    });
    await ledger.open();

    const jobs = new Map<string, JobState>();
    let requestsServed = 0;
    let requestsRouted = 0;

    const appOptions = (spec: JobSpec): AppOptions => ({
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
    });

    async function apply(event: Extract<JobEvent, { type: 'JobCreated' | 'JobUpdated' }>, state: JobState) {
      const spec = decryptJobEventSpec(event, config.encryptionKey, domain);
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

    const table: JobTable = createJobTable(client, {
      provider,
      region: config.region,
      fromBlock: config.fromBlock,
      pollingIntervalMs: config.pollingIntervalMs,
      onEvent,
      onError: (error) => log('warn', 'watching the chain failed; retrying', { error: String(error) }),
    });
    cleanups.push(() => table.close());
    await table.synced;

    const local = async (request: Request): Promise<Response> => {
      const jobId = request.headers.get('mu-job-id') ?? '';
      const state = jobs.get(jobId);
      if (state !== undefined) await state.ready;
      if (state === undefined || !state.registered) {
        return Response.json(
          { error: { code: 'RUNTIME_JOB_NOT_FOUND', message: state?.error ?? 'no such job on this node' } },
          { status: 404, headers: { 'mu-error': 'RUNTIME_JOB_NOT_FOUND' } },
        );
      }
      requestsServed++;
      return runtime.fetch(runtimeJobId(jobId), request);
    };

    const nodes: NodeSpec[] = [
      { id: config.nodeId, handler: local },
      ...config.peers.map((peer) => ({ id: peer.id, url: peer.url, healthPath: '/_mu/health' })),
    ];
    const gateway: Gateway = createGateway({
      nodes,
      resolveJob: (jobId) => {
        const state = jobs.get(jobId);
        if (state === undefined) return undefined;
        const info = { status: state.entry.status } as const;
        return state.spec ? { ...info, maxBodyBytes: state.spec.limits.maxBodyBytes } : info;
      },
      health: { intervalMs: 1000, timeoutMs: 1000 },
    });
    cleanups.push(() => gateway.close());

    const status = (): ExecutorStatus => {
      const stats = ledger.stats();
      return {
        nodeId: config.nodeId,
        node: nodeKey.address,
        jobs: [...jobs.entries()].map(([jobId, state]) => ({
          jobId,
          status: state.entry.status,
          registered: state.registered,
          ...(state.error ? { error: state.error } : {}),
        })),
        requestsServed,
        requestsRouted,
        usage: { ...stats, charged: String(stats.charged) },
      };
    };

    const nodeServer: DrainableServer = createDrainableServer(async (request) => {
      const path = new URL(request.url).pathname;
      if (path === '/_mu/health' && !request.headers.has('mu-job-id')) return new Response('ok');
      if (path === '/_mu/status' && !request.headers.has('mu-job-id')) return Response.json(status());
      return local(request);
    });
    const gatewayServer: DrainableServer = createDrainableServer(
      async () => new Response(null, { status: 500 }),
      (req, res) => {
        requestsRouted++;
        gateway.handleNode(req, res);
      },
    );
    let nodePort: number;
    let port: number;
    try {
      nodePort = await nodeServer.listen(config.nodePort, config.host);
      cleanups.push(() => nodeServer.drain(0));
      port = await gatewayServer.listen(config.port, config.host);
      cleanups.push(() => gatewayServer.drain(0));
    } catch (error) {
      throw new ExecutorError('NODE_START_FAILED', 'cannot listen on the configured ports; choose free ones', {
        cause: error,
      });
    }

    // usage: one report per job per period, persisted before it is sent
    let periodStart = Date.now();
    const closePeriod = async () => {
      const periodEnd = Date.now();
      const usage = runtime.takeUsage();
      const start = periodStart;
      periodStart = periodEnd;
      for (const [id, used] of usage) {
        if (used.requests === 0 && used.kvWrites === 0 && used.kvReads === 0) continue;
        const jobId = BigInt(id.slice('job-'.length));
        await ledger.record(jobId, start, periodEnd, {
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
    const flushUsage = () => {
      periodChain = periodChain
        .then(closePeriod)
        .then(() => ledger.settle())
        .catch((error: unknown) => log('error', 'usage period failed', { error: String(error) }));
      return periodChain;
    };
    const periodTimer = setInterval(flushUsage, config.periodMs);
    const settleTimer =
      config.settleIntervalMs === config.periodMs
        ? undefined
        : setInterval(() => {
            ledger.settle().catch(() => {});
          }, config.settleIntervalMs);
    // reports a previous run left pending are settled at once
    void ledger.settle().catch(() => {});

    const url = `http://${config.host}:${port}`;
    const nodeUrl = `http://${config.host}:${nodePort}`;
    let stopping: Promise<void> | undefined;
    log('info', 'node ready', { url, nodeUrl, node: nodeKey.address, provider, jobs: jobs.size });

    return {
      config,
      url,
      nodeUrl,
      status,
      flushUsage,
      stop() {
        stopping ??= (async () => {
          clearInterval(periodTimer);
          if (settleTimer) clearInterval(settleTimer);
          const [publicSide, nodeSide] = await Promise.all([
            gatewayServer.drain(config.drainTimeoutMs),
            nodeServer.drain(config.drainTimeoutMs),
          ]);
          if (!publicSide.drained || !nodeSide.drained) log('warn', 'stopped with requests still running');
          await flushUsage();
          log('info', 'node stopped', { pendingReports: ledger.stats().pending });
          await cleanup();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
