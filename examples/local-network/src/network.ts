import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getJob, type MuClient } from '@mu/contract-client';
import { type AppName, type BuiltApp, buildApps } from '@mu/example-apps';
import type { HDNodeWallet as Wallet } from 'ethers';
import { type Anvil, startAnvil } from './anvil.js';
import { createAppJobs, type NetworkJob } from './app-jobs.js';
import { bootstrapChain, openOffer } from './chain-setup.js';
import { type CodeServer, startCodeServer } from './code-server.js';
import { startMuDBServer } from './mudb-server.js';
import { writeNodeConfigs } from './node-configs.js';
import { startGatewayProcess, startNodeProcess, startNodes } from './node-processes.js';
import type { ManagedProcess } from './processes.js';
import { waitUntilReady } from './readiness.js';

/** Options of {@link startNetwork}. */
export interface NetworkOptions {
  /** Usage period of the nodes, ms (default 10 s). */
  periodMs?: number;
  /** Prepayment of each app's job, token base units (default 10 tokens). */
  prepayment?: Partial<Record<AppName, bigint>>;
  /** Settlement window after a cancel, seconds (default 1 day). */
  settlementWindow?: bigint;
  /** Where data and logs go (default a new temporary folder, removed by `stop()` unless `keepData`). */
  dataDir?: string;
  keepData?: boolean;
  /** Progress messages. */
  onProgress?: (message: string) => void;
  /** Aborting it stops the start-up at the next step, and everything started so far is stopped. */
  signal?: AbortSignal;
}

/** A running local Mu network. */
export interface Network {
  rpcUrl: string;
  chainId: bigint;
  marketplace: string;
  token: string;
  deployBlock: number;
  region: number;
  anvil: Anvil;
  admin: Wallet;
  provider: Wallet;
  client: Wallet;
  /** Clients bound to the admin, the provider and the client account. */
  clients: { admin: MuClient; provider: MuClient; client: MuClient };
  gatewayUrl: string;
  nodes: { id: string; url: string; nodeUrl: string; address: string; process: ManagedProcess }[];
  gatewayProcess: ManagedProcess;
  mudbProcess: ManagedProcess;
  apps: Record<AppName, BuiltApp>;
  codeServerUrl: string;
  jobs: NetworkJob[];
  dataDir: string;
  /** Every PID started (anvil, MuDB server, nodes, gateway). */
  pids(): number[];
  /** Starts a node again (after a crash) with the same config. */
  restartNode(index: number): Promise<void>;
  /** Stops every process it started, by PID; removes the data folder unless `keepData`. */
  stop(): Promise<void>;
}

/** What the network started, stopped in reverse order: gateway, nodes (they flush usage to the chain), MuDB, anvil. */
class Started {
  readonly processes: ManagedProcess[] = [];
  readonly #stops: (() => Promise<void>)[] = [];

  add(item: { stop(): Promise<void> }): void {
    this.#stops.push(() => item.stop());
  }

  addProcess(process: ManagedProcess): void {
    this.processes.push(process);
    this.add(process);
  }

  async stopAll(): Promise<void> {
    for (const stop of this.#stops.reverse()) await stop().catch(() => {});
    this.#stops.length = 0;
  }
}

/**
 * Starts a whole Mu network on 127.0.0.1: anvil, the contracts and the test stablecoin, a region, a provider
 * with an offer, three certified nodes sharing a MuDB server, the provider's gateway, the example apps served
 * over HTTP, and one prepaid job per app.
 *
 * The steps, in order: start anvil and bootstrap the chain (contracts, provider, node certificates), start the
 * MuDB server, write the node configs and start the nodes, start the gateway and open the offer at its URL, build
 * the apps and serve their code, create the jobs, and wait until every node and the gateway serve them.
 *
 * @example
 * ```ts
 * const network = await startNetwork({ periodMs: 2_000 });
 * console.log(network.jobs.map((job) => job.endpoint));
 * await network.stop();
 * ```
 */
export async function startNetwork(options: NetworkOptions = {}): Promise<Network> {
  const progress = (message: string) => {
    options.signal?.throwIfAborted();
    options.onProgress?.(message);
  };
  const periodMs = options.periodMs ?? 10_000;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'mu-local-network-')));
  const logsDir = join(dataDir, 'logs');
  await mkdir(logsDir, { recursive: true });
  const started = new Started();
  let codeServer: CodeServer | undefined;
  let anvil: Anvil | undefined;

  const stopAll = async () => {
    await started.stopAll();
    await codeServer?.close();
    if (!options.keepData && options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
  };

  try {
    progress('starting anvil');
    anvil = await startAnvil();
    started.add(anvil);
    const chain = await bootstrapChain(anvil, { settlementWindow: options.settlementWindow }, progress);
    const { deployment, region } = chain;

    progress('starting the MuDB server');
    const mudb = await startMuDBServer(dataDir);
    started.addProcess(mudb.process);

    progress('starting three nodes');
    const nodeIds = chain.nodeWallets.map((_, index) => `node-${index + 1}`);
    const configFiles = nodeIds.map((id) => join(dataDir, `${id}.json`));
    const rpcUrl = anvil.url;
    const startNode = (index: number) => startNodeProcess(nodeIds[index]!, configFiles[index]!, logsDir);
    const nodeProcesses = await startNodes(
      nodeIds.length,
      startNode,
      () => writeNodeConfigs(configFiles, { chain, rpcUrl, mudb, dataDir, periodMs, nodeIds }),
      progress,
    );
    const nodes = nodeProcesses.map((process, index) => ({
      id: nodeIds[index]!,
      url: String(process.ready.url),
      nodeUrl: String(process.ready.nodeUrl),
      address: chain.nodeWallets[index]!.address,
      process,
    }));
    for (const node of nodes) started.addProcess(node.process);

    progress('starting the gateway');
    const gatewayProcess = await startGatewayProcess(
      {
        MU_RPC_URL: anvil.url,
        MU_MARKETPLACE: deployment.marketplace,
        MU_PROVIDER: chain.provider.address,
        MU_REGION: String(region),
        MU_PORT: '0',
        MU_NODES: nodes.map((node) => `${node.id}=${node.nodeUrl}`).join(','),
        MU_FROM_BLOCK: String(deployment.deployBlock),
        MU_POLLING_INTERVAL_MS: '250',
      },
      logsDir,
    );
    started.addProcess(gatewayProcess);
    const gatewayUrl = String(gatewayProcess.ready.url);

    progress('opening the offer in region local-1');
    await openOffer(chain, gatewayUrl);

    progress('building the example apps');
    const apps = await buildApps();
    codeServer = await startCodeServer(apps);

    progress('creating a prepaid job per app');
    const jobs = await createAppJobs(
      chain,
      apps,
      { codeServer: codeServer.url, gateway: gatewayUrl },
      options.prepayment,
    );
    await waitUntilReady(nodes, jobs, { signal: options.signal });

    options.signal?.throwIfAborted();
    return {
      rpcUrl: anvil.url,
      chainId: deployment.chainId,
      marketplace: deployment.marketplace,
      token: deployment.token,
      deployBlock: deployment.deployBlock,
      region,
      anvil,
      admin: chain.admin,
      provider: chain.provider,
      client: chain.client,
      clients: chain.clients,
      gatewayUrl,
      nodes,
      gatewayProcess,
      mudbProcess: mudb.process,
      apps,
      codeServerUrl: codeServer.url,
      jobs,
      dataDir,
      pids: () => [anvil!.pid, ...started.processes.map((process) => process.pid)],
      async restartNode(index) {
        const process = await startNode(index);
        started.addProcess(process);
        nodes[index]!.process = process;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Escrow left of a job, read from the chain. */
export async function escrowOf(network: Network, jobId: bigint): Promise<bigint> {
  return (await getJob(network.clients.client, { jobId })).escrow;
}
