import { join } from 'node:path';
import { createGateway, type Gateway, type NodeSpec } from '@mu/gateway';
import type { MuDB } from '@mu/mudb';
import { createRuntime, type Runtime } from '@mu/runtime';
import { checkCertificate, checkMarketplace, connectToChain } from './chain.js';
import type { NodeConfig } from './config.js';
import { ExecutorError } from './errors.js';
import { type JobRegistration, type JobSync, startJobSync } from './job-sync.js';
import { jsonLogger, type Logger } from './logger.js';
import { listenNodeServers } from './node-servers.js';
import { openNodeStore } from './node-store.js';
import { type LedgerStats, UsageLedger } from './usage-ledger.js';
import { startUsagePeriods } from './usage-periods.js';

/** What {@link Executor.status} answers (also served as JSON at `GET /_mu/status` on the node port). */
export interface ExecutorStatus {
  nodeId: string;
  node: string;
  jobs: JobRegistration[];
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

/** What a failed start or a stop closes, last opened first; a failing step does not stop the others. */
class Cleanups {
  readonly #steps: (() => Promise<unknown> | unknown)[] = [];

  add(step: () => Promise<unknown> | unknown): void {
    this.#steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.#steps.reverse()) await Promise.resolve(step()).catch(() => {});
  }
}

/** Step: this node's runtime, logging the apps' warnings and errors. */
function startRuntime(config: NodeConfig, mudb: MuDB, log: Logger): Promise<Runtime> {
  return createRuntime({
    workers: config.workers,
    mudb,
    cacheDir: join(config.dataDir, 'runtime-cache'),
    onLog: (entry) => {
      if (entry.level === 'error' || entry.level === 'warn')
        log('warn', `app log: ${entry.message}`, { jobId: entry.jobId });
    },
  });
}

/** Step: the gateway over this node's runtime (in-process) and its peers' node ports (HTTP, health-checked). */
function createNodeGateway(config: NodeConfig, jobs: JobSync): Gateway {
  const nodes: NodeSpec[] = [
    { id: config.nodeId, handler: (request) => jobs.serve(request) },
    ...config.peers.map((peer) => ({ id: peer.id, url: peer.url, healthPath: '/_mu/health' })),
  ];
  return createGateway({
    nodes,
    resolveJob: (jobId) => jobs.resolveJob(jobId),
    health: { intervalMs: 1000, timeoutMs: 1000 },
  });
}

/**
 * Starts the reference executor: follows the provider's jobs in its region on chain, opens their specs,
 * registers them with the runtime (code fetched and checked on first load), serves them through the gateway
 * (own runtime in-process, peers over HTTP), meters usage per job per period, and settles signed reports.
 *
 * The steps, in order: check the chain (marketplace and certificate), open MuDB, start the runtime, open the
 * usage ledger, sync the jobs from the chain, listen (node and gateway ports), start the usage periods.
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
  const { rpc, client, nodeKey } = connectToChain(config);
  const cleanups = new Cleanups();
  cleanups.add(() => rpc.destroy());

  try {
    const domain = await checkMarketplace(client, config);
    const certificate = config.certificate;
    const provider = checkCertificate(certificate, nodeKey, domain);

    const mudb = await openNodeStore(config.mudb).catch((error: unknown) => {
      throw new ExecutorError(
        'NODE_START_FAILED',
        'cannot open MuDB; check the mudb setting and that the MuDB server runs',
        {
          cause: error,
        },
      );
    });
    cleanups.add(() => mudb.close());
    const runtime: Runtime = await startRuntime(config, mudb, log);
    cleanups.add(() => runtime.close());

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

    const jobs = startJobSync({ client, provider, domain, runtime, config, log });
    cleanups.add(() => jobs.close());
    await jobs.synced;

    const gateway = createNodeGateway(config, jobs);
    cleanups.add(() => gateway.close());

    let requestsRouted = 0;
    const status = (): ExecutorStatus => {
      const stats = ledger.stats();
      return {
        nodeId: config.nodeId,
        node: nodeKey.address,
        jobs: jobs.jobs(),
        requestsServed: jobs.requestsServed(),
        requestsRouted,
        usage: { ...stats, charged: String(stats.charged) },
      };
    };
    const servers = await listenNodeServers({
      host: config.host,
      port: config.port,
      nodePort: config.nodePort,
      serve: (request) => jobs.serve(request),
      status,
      route: (req, res) => {
        requestsRouted++;
        gateway.handleNode(req, res);
      },
      onListening: (server) => cleanups.add(() => server.drain(0)),
    });

    // usage: one report per job per period, persisted before it is sent
    const periods = startUsagePeriods({
      runtime,
      ledger,
      periodMs: config.periodMs,
      settleIntervalMs: config.settleIntervalMs,
      log,
    });

    const { url, nodeUrl } = servers;
    let stopping: Promise<void> | undefined;
    log('info', 'node ready', { url, nodeUrl, node: nodeKey.address, provider, jobs: jobs.jobs().length });

    return {
      config,
      url,
      nodeUrl,
      status,
      flushUsage: periods.flush,
      stop() {
        stopping ??= (async () => {
          periods.stop();
          const { drained } = await servers.drain(config.drainTimeoutMs);
          if (!drained) log('warn', 'stopped with requests still running');
          await periods.flush();
          log('info', 'node stopped', { pendingReports: ledger.stats().pending });
          await cleanups.run();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await cleanups.run();
    throw error;
  }
}
