import { createMuClient } from '@mu/contract-client';
import { createGateway, type Gateway } from '@mu/gateway';
import { JsonRpcProvider } from 'ethers';
import { ConfigError } from './errors.js';
import { createDrainableServer } from './http-server.js';
import { createJobTable } from './job-table.js';

/** Configuration of a provider's standalone gateway (the `gatewayURL` of its offer). */
export interface ProviderGatewayConfig {
  rpcUrl: string;
  marketplace: string;
  provider: string;
  region: number;
  host: string;
  port: number;
  /** The provider's nodes: their node URLs (`nodeUrl` of each executor). */
  nodes: { id: string; url: string }[];
  fromBlock: number;
  pollingIntervalMs: number;
  drainTimeoutMs: number;
}

/** A running provider gateway. */
export interface ProviderGateway {
  url: string;
  gateway: Gateway;
  stop(): Promise<void>;
}

/**
 * Reads a {@link ProviderGatewayConfig} from `MU_*` variables (`MU_RPC_URL`, `MU_MARKETPLACE`, `MU_PROVIDER`,
 * `MU_REGION`, `MU_HOST`, `MU_PORT`, `MU_NODES` as `id=url,…`, `MU_FROM_BLOCK`, `MU_POLLING_INTERVAL_MS`).
 *
 * @throws {ConfigError} naming the field.
 */
export function loadProviderGatewayConfig(
  env: Record<string, string | undefined> = process.env,
): ProviderGatewayConfig {
  const need = (variable: string) => {
    const value = env[variable];
    if (value === undefined || value === '') throw new ConfigError(variable, 'is required');
    return value;
  };
  const integer = (variable: string, fallback: number) => {
    const value = env[variable];
    if (value === undefined || value === '') return fallback;
    const number = Number(value);
    if (!Number.isSafeInteger(number) || number < 0) throw new ConfigError(variable, 'must be a non-negative integer');
    return number;
  };
  const nodes = need('MU_NODES')
    .split(',')
    .map((part) => {
      const at = part.indexOf('=');
      if (at < 1) throw new ConfigError('MU_NODES', 'must be id=url,id=url');
      return { id: part.slice(0, at).trim(), url: part.slice(at + 1).trim() };
    });
  const marketplace = need('MU_MARKETPLACE');
  const provider = need('MU_PROVIDER');
  if (!/^0x[0-9a-fA-F]{40}$/.test(marketplace)) throw new ConfigError('MU_MARKETPLACE', 'must be a 0x address');
  if (!/^0x[0-9a-fA-F]{40}$/.test(provider)) throw new ConfigError('MU_PROVIDER', 'must be a 0x address');
  return {
    rpcUrl: need('MU_RPC_URL'),
    marketplace,
    provider,
    region: integer('MU_REGION', 1),
    host: env.MU_HOST || '127.0.0.1',
    port: integer('MU_PORT', 8080),
    nodes,
    fromBlock: integer('MU_FROM_BLOCK', 0),
    pollingIntervalMs: integer('MU_POLLING_INTERVAL_MS', 1000),
    drainTimeoutMs: integer('MU_DRAIN_TIMEOUT_MS', 10_000),
  };
}

/**
 * The provider's front door: a gateway over its nodes (HTTP), answering 402/410 from the job states it
 * follows on chain. Stateless: run several behind DNS; they agree on affinity.
 *
 * @example
 * ```ts
 * const front = await startProviderGateway(loadProviderGatewayConfig());
 * ```
 */
export async function startProviderGateway(config: ProviderGatewayConfig): Promise<ProviderGateway> {
  const rpc = new JsonRpcProvider(config.rpcUrl, undefined, {
    staticNetwork: true,
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
  const client = createMuClient({ address: config.marketplace, runner: rpc });
  const table = createJobTable(client, {
    provider: config.provider,
    region: config.region,
    fromBlock: config.fromBlock,
    pollingIntervalMs: config.pollingIntervalMs,
  });
  await table.synced;
  const gateway = createGateway({
    nodes: config.nodes.map((node) => ({ ...node, healthPath: '/_mu/health' })),
    resolveJob: (jobId) => {
      if (!/^\d{1,20}$/.test(jobId)) return undefined;
      const entry = table.get(BigInt(jobId));
      return entry ? { status: entry.status } : undefined;
    },
    health: { intervalMs: 1000, timeoutMs: 1000 },
  });
  const server = createDrainableServer(async () => new Response(null, { status: 500 }), gateway.handleNode);
  const port = await server.listen(config.port, config.host);
  return {
    url: `http://${config.host}:${port}`,
    gateway,
    async stop() {
      await server.drain(config.drainTimeoutMs);
      await gateway.close();
      await table.close();
      rpc.destroy();
    },
  };
}
