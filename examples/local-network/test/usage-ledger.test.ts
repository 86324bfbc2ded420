// The executor's usage ledger against a real chain: a signed report is on disk before anything is sent, a
// report that fails to settle is kept and retried (also by the next process), and is never charged twice.
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  approveToken,
  certifyNode,
  chargeFor,
  createJob,
  createMuClient,
  deployMu,
  generateEncryptionKey,
  getCredits,
  getJob,
  getMarketplaceConfig,
  type MuClient,
  mintTestToken,
  registerProvider,
  type SignedNodeCertificate,
  setOffer,
} from '@mu/contract-client';
import { UsageLedger } from '@mu/example-node';
import { type HDNodeWallet, JsonRpcProvider, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Anvil, LOCAL_PRICES, startAnvil } from '../src/index.js';

let anvil: Anvil;
let dir: string;
let operatorClient: MuClient;
let certificate: SignedNodeCertificate;
let domain: { chainId: bigint; verifyingContract: string };
let nodeKey: Wallet;
let providerAddress: string;
let jobId: bigint;

beforeAll(async () => {
  anvil = await startAnvil();
  dir = await mkdtemp(join(tmpdir(), 'mu-ledger-'));
  const [admin, provider, node, client] = anvil.wallets as [HDNodeWallet, HDNodeWallet, HDNodeWallet, HDNodeWallet];
  const mu = await deployMu({ signer: admin, regions: ['local-1'] });
  domain = { chainId: mu.chainId, verifyingContract: mu.marketplace };
  const asProvider = createMuClient({ address: mu.marketplace, runner: provider });
  const asClient = createMuClient({ address: mu.marketplace, runner: client });
  await mintTestToken(mu.client, { to: provider.address, amount: 100_000_000n });
  await mintTestToken(mu.client, { to: client.address, amount: 10_000_000n });
  await approveToken(asProvider, { amount: 100_000_000n });
  await registerProvider(asProvider, {
    encryptionKey: generateEncryptionKey().publicKey,
    metadataURI: 'http://p',
    deposit: 100_000_000n,
  });
  await setOffer(asProvider, { region: 1, gatewayURL: 'http://127.0.0.1:1', prices: LOCAL_PRICES });
  ({ jobId } = await createJob(asClient, {
    provider: provider.address,
    region: 1,
    encryptedSpec: '0xc0ffee',
    prepayment: 10_000_000n,
    permit: true,
  }));
  nodeKey = new Wallet(node.privateKey);
  certificate = await certifyNode(provider, { node: node.address, region: 1, notAfter: 4_000_000_000n }, domain);
  operatorClient = createMuClient({ address: mu.marketplace, runner: node });
  providerAddress = provider.address;
}, 120_000);

afterAll(async () => {
  await anvil?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const ledger = (client: MuClient) =>
  new UsageLedger({ client, nodeKey, certificate, domain, dir, maxReportsPerBatch: 200, log: () => {} });

describe('usage ledger', () => {
  it('keeps a report that cannot be settled, and the next process settles it once', async () => {
    // an operator whose RPC is down: the report is signed and persisted, the settlement fails and is kept
    const down = new JsonRpcProvider('http://127.0.0.1:1', domain.chainId, { staticNetwork: true });
    const offline = ledger(
      createMuClient({ address: domain.verifyingContract, runner: new Wallet(nodeKey.privateKey, down) }),
    );
    await offline.open();
    const usage = { requests: 1_000, cpuMs: 250.4, memoryMbMs: 9_000, kvReads: 40, kvWrites: 5, egressBytes: 20_000 };
    const signed = await offline.record(jobId, Date.now() - 10_000, Date.now(), usage);
    await offline.settle();
    expect(offline.stats()).toMatchObject({ signed: 1, pending: 1, settled: 0 });
    expect(offline.stats().failedAttempts).toBeGreaterThan(0);
    down.destroy();

    // a new process over the same folder (a restart) finds it and settles it
    const online = ledger(operatorClient);
    await online.open();
    expect(online.stats().pending).toBe(1);
    await online.settle();
    const prices = (await getJob(operatorClient, { jobId })).prices;
    const price = chargeFor(prices, { ...signed.report });
    expect(signed.report.cpuMs).toBe(251n); // metered fractions round up
    expect(online.stats()).toMatchObject({ pending: 0, settled: 1, charged: price });
    const { protocolFeeBps } = await getMarketplaceConfig(operatorClient);
    expect(await getCredits(operatorClient, { account: providerAddress })).toBe(
      price - (price * BigInt(protocolFeeBps)) / 10_000n,
    );
    expect((await getJob(operatorClient, { jobId })).escrow).toBe(10_000_000n - price);

    // a crash between the transaction and the file move leaves the report pending: it is found on chain,
    // not sent again (a stale sequence would revert the whole batch)
    const settledName = (await readdir(join(dir, 'settled'))).find((name) => name.endsWith('.json'))!;
    await copyFile(join(dir, 'settled', settledName), join(dir, 'pending', settledName));
    const again = ledger(operatorClient);
    await again.open();
    expect(again.stats().pending).toBe(1);
    await again.settle();
    expect(again.stats()).toMatchObject({ pending: 0, settled: 0, failedAttempts: 0 });
    expect((await getJob(operatorClient, { jobId })).escrow).toBe(10_000_000n - price);
  });
});
