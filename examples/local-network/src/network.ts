import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  approveToken,
  certifyNode,
  createMuClient,
  deployJob,
  deployMu,
  generateEncryptionKey,
  getJob,
  type JobSpec,
  type MuClient,
  mintTestToken,
  type PricesInput,
  registerProvider,
  setOffer,
} from '@mu/contract-client';
import { type AppName, type BuiltApp, buildApps } from '@mu/example-apps';
import type { HDNodeWallet as Wallet } from 'ethers';
import { type Anvil, startAnvil } from './anvil.js';
import { freePort, type ManagedProcess, sourceFlags, startProcess } from './processes.js';

const nodeCli = fileURLToPath(new URL('../../node/src/cli.ts', import.meta.url));
const mudbCli = fileURLToPath(new URL('../../../packages/mudb/src/server/cli.ts', import.meta.url));

/** The prices of the local provider's offer (token base units × 10⁻⁹; the token has 6 decimals). */
export const LOCAL_PRICES: PricesInput = {
  perRequest: 200_000_000n, // 0.2 base units per request
  perCpuMs: 20_000_000n, // 0.02 per ms of guest CPU
  perMemoryMbMs: 1_000n,
  perKvRead: 5_000_000n,
  perKvWrite: 50_000_000n,
  perEgressByte: 100n,
};

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

/** One job of the network. */
export interface NetworkJob {
  app: AppName;
  jobId: bigint;
  endpoint: string;
  spec: JobSpec;
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

/**
 * Starts a whole Mu network on 127.0.0.1: anvil, the contracts and the test stablecoin, a region, a provider
 * with an offer, three certified nodes sharing a MuDB server, the provider's gateway, the example apps served
 * over HTTP, and one prepaid job per app.
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
  await mkdir(join(dataDir, 'logs'), { recursive: true });
  const started: { stop(): Promise<void> }[] = [];
  const processes: ManagedProcess[] = [];
  let codeServer: Server | undefined;
  let anvil: Anvil | undefined;

  const stopAll = async () => {
    // reverse order: gateway, nodes (they flush usage to the chain), MuDB, anvil
    for (const item of [...started].reverse()) await item.stop().catch(() => {});
    started.length = 0;
    if (codeServer) await new Promise((resolve) => codeServer!.close(resolve));
    if (!options.keepData && options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
  };

  try {
    progress('starting anvil');
    anvil = await startAnvil();
    started.push(anvil);
    const [admin, provider, nodeA, nodeB, nodeC, client] = anvil.wallets as [
      Wallet,
      Wallet,
      Wallet,
      Wallet,
      Wallet,
      Wallet,
    ];

    progress('deploying the contracts and the test stablecoin');
    const deployment = await deployMu({
      signer: admin,
      regions: ['local-1'],
      ...(options.settlementWindow === undefined ? {} : { settlementWindow: options.settlementWindow }),
    });
    const region = deployment.regions[0]!.id;
    const adminClient = deployment.client;
    const providerClient = createMuClient({ address: deployment.marketplace, runner: provider });
    const clientClient = createMuClient({ address: deployment.marketplace, runner: client });

    progress('registering the provider');
    const deposit = 1_000_000_000n; // 1,000 tokens
    const encryptionKey = generateEncryptionKey();
    await mintTestToken(adminClient, { to: provider.address, amount: deposit });
    await approveToken(providerClient, { amount: deposit });
    await registerProvider(providerClient, {
      encryptionKey: encryptionKey.publicKey,
      metadataURI: 'http://127.0.0.1/local-provider',
      deposit,
    });

    progress('certifying three nodes');
    const domain = { chainId: deployment.chainId, verifyingContract: deployment.marketplace };
    const nodeWallets = [nodeA, nodeB, nodeC];
    const certificates = await Promise.all(
      nodeWallets.map((node) =>
        certifyNode(
          provider,
          { node: node.address, region, notAfter: BigInt(Math.floor(Date.now() / 1000) + 30 * 86_400) },
          domain,
        ),
      ),
    );

    progress('starting the MuDB server');
    const mudbSecret = randomBytes(32).toString('hex');
    const mudbProcess = await startProcess({
      name: 'mudb-server',
      args: [
        ...sourceFlags,
        mudbCli,
        '--data',
        join(dataDir, 'mudb'),
        '--port',
        '0',
        '--secret-env',
        'MUDB_SECRET',
        '--client-id',
        'node',
      ],
      env: { MUDB_SECRET: mudbSecret },
      logFile: join(dataDir, 'logs', 'mudb-server.log'),
    });
    processes.push(mudbProcess);
    started.push({ stop: () => mudbProcess.stop() });
    const mudbPort = (mudbProcess.ready.listening as { port: number }).port;

    progress('starting three nodes');
    const nodeIds = nodeWallets.map((_, index) => `node-${index + 1}`);
    const configFiles = nodeIds.map((id) => join(dataDir, `${id}.json`));
    // every node must know its peers' addresses before it starts, so the ports are chosen here
    const writeConfigs = async () => {
      const taken = new Set<number>();
      const pick = async () => {
        const port = await freePort(taken);
        taken.add(port);
        return port;
      };
      const ports: { port: number; nodePort: number }[] = [];
      for (const _ of nodeWallets) ports.push({ port: await pick(), nodePort: await pick() });
      const configs = nodeWallets.map((node, index) => ({
        rpcUrl: anvil!.url,
        marketplace: deployment.marketplace,
        nodeKey: node.privateKey,
        encryptionKey: `0x${Buffer.from(encryptionKey.privateKey).toString('hex')}`,
        certificate: {
          certificate: {
            ...certificates[index]!.certificate,
            notAfter: String(certificates[index]!.certificate.notAfter),
          },
          signature: certificates[index]!.signature,
        },
        region,
        nodeId: nodeIds[index],
        host: '127.0.0.1',
        port: ports[index]!.port,
        nodePort: ports[index]!.nodePort,
        peers: nodeIds
          .map((id, peer) => ({ id, url: `http://127.0.0.1:${ports[peer]!.nodePort}` }))
          .filter((_, peer) => peer !== index),
        mudb: `tcp://127.0.0.1:${mudbPort}`,
        mudbClientId: 'node',
        mudbSecret,
        dataDir: join(dataDir, nodeIds[index]!),
        workers: 1,
        periodMs,
        fromBlock: deployment.deployBlock,
        pollingIntervalMs: 250,
        drainTimeoutMs: 5_000,
      }));
      await Promise.all(
        configs.map((config, index) => writeFile(configFiles[index]!, JSON.stringify(config, null, 2))),
      );
    };
    const startNode = (index: number) =>
      startProcess({
        name: nodeIds[index]!,
        args: [...sourceFlags, nodeCli, '--config', configFiles[index]!],
        logFile: join(dataDir, 'logs', `${nodeIds[index]}.log`),
      });
    const nodeProcesses = await startNodes(nodeWallets.length, startNode, writeConfigs, progress);
    const nodes = nodeProcesses.map((process, index) => ({
      id: nodeIds[index]!,
      url: String(process.ready.url),
      nodeUrl: String(process.ready.nodeUrl),
      address: nodeWallets[index]!.address,
      process,
    }));
    for (const node of nodes) {
      processes.push(node.process);
      started.push({ stop: () => node.process.stop() });
    }

    progress('starting the gateway');
    const gatewayProcess = await startProcess({
      name: 'gateway',
      args: [...sourceFlags, nodeCli, '--gateway'],
      env: {
        MU_RPC_URL: anvil.url,
        MU_MARKETPLACE: deployment.marketplace,
        MU_PROVIDER: provider.address,
        MU_REGION: String(region),
        MU_PORT: '0',
        MU_NODES: nodes.map((node) => `${node.id}=${node.nodeUrl}`).join(','),
        MU_FROM_BLOCK: String(deployment.deployBlock),
        MU_POLLING_INTERVAL_MS: '250',
      },
      logFile: join(dataDir, 'logs', 'gateway.log'),
    });
    processes.push(gatewayProcess);
    started.push({ stop: () => gatewayProcess.stop() });
    const gatewayUrl = String(gatewayProcess.ready.url);

    progress('opening the offer in region local-1');
    await setOffer(providerClient, { region, gatewayURL: gatewayUrl, prices: LOCAL_PRICES });

    progress('building the example apps');
    const apps = await buildApps();
    const byPath = new Map(Object.values(apps).map((app) => [`/code/${app.sha256}.wasm`, app]));
    codeServer = createServer((req, res) => {
      const app = byPath.get(req.url ?? '');
      if (!app) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/wasm', 'content-length': app.size }).end(app.bytes);
    });
    await new Promise<void>((resolve) => codeServer!.listen(0, '127.0.0.1', resolve));
    const codePort = (codeServer.address() as { port: number }).port;
    const codeServerUrl = `http://127.0.0.1:${codePort}`;

    progress('creating a prepaid job per app');
    const prepayments: Record<AppName, bigint> = {
      hello: options.prepayment?.hello ?? 10_000_000n,
      counter: options.prepayment?.counter ?? 10_000_000n,
      todo: options.prepayment?.todo ?? 10_000_000n,
    };
    const total = Object.values(prepayments).reduce((sum, amount) => sum + amount, 0n);
    await mintTestToken(adminClient, { to: client.address, amount: total * 10n });
    const jobs: NetworkJob[] = [];
    for (const app of Object.values(apps)) {
      const spec: JobSpec = {
        version: 1,
        name: app.name,
        code: { sha256: app.sha256, url: `${codeServerUrl}/code/${app.sha256}.wasm`, size: app.size },
        env: { GREETING: 'hello from Mu' },
        limits: { memoryMb: 128, timeoutMs: 5_000, maxBodyBytes: 1_048_576 },
      };
      const { jobId } = await deployJob(clientClient, {
        provider: provider.address,
        region,
        spec,
        prepayment: prepayments[app.name],
        permit: true,
      });
      jobs.push({ app: app.name, jobId, endpoint: `${gatewayUrl}/${jobId}`, spec });
    }
    // the gateway and every node know each job, and the gateway has a node for each (none ejected after a health
    // check that a node busy registering the jobs answered late), before the network is called ready
    await waitFor(async () => {
      options.signal?.throwIfAborted();
      for (const node of nodes) {
        const status = (await fetch(`${node.nodeUrl}/_mu/status`).then((response) => response.json())) as {
          jobs: { jobId: string; registered: boolean }[];
        };
        const registered = new Set(status.jobs.filter((job) => job.registered).map((job) => job.jobId));
        if (!jobs.every((job) => registered.has(String(job.jobId)))) return false;
      }
      for (const job of jobs) {
        const response = await fetch(`${job.endpoint}/`, { method: 'OPTIONS' });
        const text = await response.text();
        if (text.includes('GATEWAY_UNKNOWN_JOB') || text.includes('GATEWAY_NO_NODE')) return false;
      }
      return true;
    }, 60_000);

    options.signal?.throwIfAborted();
    const network: Network = {
      rpcUrl: anvil.url,
      chainId: deployment.chainId,
      marketplace: deployment.marketplace,
      token: deployment.token,
      deployBlock: deployment.deployBlock,
      region,
      anvil,
      admin,
      provider,
      client,
      clients: { admin: adminClient, provider: providerClient, client: clientClient },
      gatewayUrl,
      nodes,
      gatewayProcess,
      mudbProcess,
      apps,
      codeServerUrl,
      jobs,
      dataDir,
      pids: () => [anvil!.pid, ...processes.map((process) => process.pid)],
      async restartNode(index) {
        const node = nodes[index]!;
        const process = await startNode(index);
        processes.push(process);
        started.push({ stop: () => process.stop() });
        node.process = process;
      },
      stop: stopAll,
    };
    return network;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * Starts every node; when one could not listen because another program took its port between the choice and the
 * node's `listen`, stops the others and tries again on new ports (three tries). Nodes that started are never left
 * running when this throws.
 */
export async function startNodes(
  count: number,
  startNode: (index: number) => Promise<ManagedProcess>,
  writeConfigs: () => Promise<void>,
  progress: (message: string) => void,
): Promise<ManagedProcess[]> {
  for (let attempt = 1; ; attempt++) {
    await writeConfigs();
    const results = await Promise.allSettled(Array.from({ length: count }, (_, index) => startNode(index)));
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    const running = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    if (failures.length === 0) return running;
    await Promise.all(running.map((process) => process.stop()));
    const portTaken = failures.every((failure) => String((failure as Error)?.message).includes('EADDRINUSE'));
    if (!portTaken || attempt === 3) throw failures[0];
    progress('a chosen port was taken meanwhile; starting the nodes on other ports');
  }
}

/** Polls `check` until it answers true; throws after `timeoutMs`. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Escrow left of a job, read from the chain. */
export async function escrowOf(network: Network, jobId: bigint): Promise<bigint> {
  return (await getJob(network.clients.client, { jobId })).escrow;
}
