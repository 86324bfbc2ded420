import {
  assertProtocolCompatible,
  createMuClient,
  getMuDomain,
  type MuClient,
  type MuDomainInput,
  type SignedNodeCertificate,
  verifyNodeCertificate,
} from '@mu/contract-client';
import { JsonRpcProvider, Wallet } from 'ethers';
import type { NodeConfig } from './config.js';
import { ConfigError, ExecutorError } from './errors.js';

/** The executor's view of the chain: its RPC, the marketplace client (paying gas as the operator), the node key. */
export interface ChainConnection {
  rpc: JsonRpcProvider;
  /** Bound to the operator account, which pays the gas of settlements. */
  client: MuClient;
  /** Signs usage reports; the provider certified its address. */
  nodeKey: Wallet;
}

/**
 * Connects to the chain the config names. Nothing is sent yet: {@link checkMarketplace} is the first call.
 *
 * @example
 * ```ts
 * const chain = connectToChain(config);
 * const domain = await checkMarketplace(chain.client, config);
 * ```
 */
export function connectToChain(config: NodeConfig): ChainConnection {
  const rpc = new JsonRpcProvider(config.rpcUrl, undefined, {
    staticNetwork: true,
    batchMaxCount: 1,
    cacheTimeout: -1,
    pollingInterval: Math.min(config.pollingIntervalMs, 1000),
  });
  const operator = new Wallet(config.operatorKey, rpc);
  const client = createMuClient({ address: config.marketplace, runner: operator });
  return { rpc, client, nodeKey: new Wallet(config.nodeKey) };
}

/**
 * Checks that the marketplace speaks this protocol version and answers its EIP-712 domain.
 *
 * @throws {ExecutorError} `NODE_START_FAILED` when the chain or the marketplace cannot be used.
 */
export async function checkMarketplace(
  client: MuClient,
  config: Pick<NodeConfig, 'marketplace' | 'rpcUrl'>,
): Promise<MuDomainInput> {
  try {
    await assertProtocolCompatible(client);
    return await getMuDomain(client);
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
}

/**
 * Checks that the certificate is for this node key, signed by its provider for this chain and marketplace, and not
 * expired; answers the provider's address.
 *
 * @throws {ConfigError} `NODE_CONFIG_INVALID` (field `certificate`) otherwise.
 */
export function checkCertificate(certificate: SignedNodeCertificate, nodeKey: Wallet, domain: MuDomainInput): string {
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
  return certificate.certificate.provider;
}
