import {
  approveToken,
  certifyNode,
  createMuClient,
  deployMu,
  type EncryptionKeyPair,
  generateEncryptionKey,
  type MuClient,
  type MuDeploymentInfo,
  mintTestToken,
  type PricesInput,
  registerProvider,
  type SignedNodeCertificate,
  setOffer,
} from '@mu/contract-client';
import type { HDNodeWallet as Wallet } from 'ethers';
import type { Anvil } from './anvil.js';

/** The prices of the local provider's offer (token base units × 10⁻⁹; the token has 6 decimals). */
export const LOCAL_PRICES: PricesInput = {
  perRequest: 200_000_000n, // 0.2 base units per request
  perCpuMs: 20_000_000n, // 0.02 per ms of guest CPU
  perMemoryMbMs: 1_000n,
  perKvRead: 5_000_000n,
  perKvWrite: 50_000_000n,
  perEgressByte: 100n,
};

/** The chain of a local network once bootstrapped: the contracts, a region, a provider and its certified nodes. */
export interface LocalChain {
  deployment: MuDeploymentInfo;
  /** The region `local-1`. */
  region: number;
  admin: Wallet;
  provider: Wallet;
  client: Wallet;
  /** The node keys (anvil accounts 2-4), which also pay their settlements' gas. */
  nodeWallets: Wallet[];
  /** Clients bound to the admin, the provider and the client account. */
  clients: { admin: MuClient; provider: MuClient; client: MuClient };
  /** The provider's encryption key: the nodes open job specs with its private half. */
  encryptionKey: EncryptionKeyPair;
  /** The provider's certificate of each node key, in `nodeWallets` order. */
  certificates: SignedNodeCertificate[];
}

/**
 * Bootstraps the chain: deploys the test stablecoin and the marketplace with the region `local-1`, registers the
 * provider (1,000-token deposit, a fresh encryption key) and certifies three node keys for 30 days.
 *
 * @param progress - called before each step; throws to stop the start-up (an aborted signal).
 */
export async function bootstrapChain(
  anvil: Anvil,
  options: { settlementWindow?: bigint | undefined },
  progress: (message: string) => void,
): Promise<LocalChain> {
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
  const clients = {
    admin: deployment.client,
    provider: createMuClient({ address: deployment.marketplace, runner: provider }),
    client: createMuClient({ address: deployment.marketplace, runner: client }),
  };

  progress('registering the provider');
  const deposit = 1_000_000_000n; // 1,000 tokens
  const encryptionKey = generateEncryptionKey();
  await mintTestToken(clients.admin, { to: provider.address, amount: deposit });
  await approveToken(clients.provider, { amount: deposit });
  await registerProvider(clients.provider, {
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
  return { deployment, region, admin, provider, client, nodeWallets, clients, encryptionKey, certificates };
}

/** Opens the provider's offer in the region at `gatewayUrl`, at {@link LOCAL_PRICES}. */
export async function openOffer(chain: LocalChain, gatewayUrl: string): Promise<void> {
  await setOffer(chain.clients.provider, { region: chain.region, gatewayURL: gatewayUrl, prices: LOCAL_PRICES });
}
