// npm run bench -w @mu/marketplace: RPC calls and latency of the queries against anvil, with Multicall3 on the
// chain and without it (`multicall: false`), for a region of 150 providers and a client with 60 jobs.
// Writes bench-results/marketplace.json at the repository root and prints a table.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  approveToken,
  createJob,
  createMuClient,
  generateEncryptionKey,
  mintTestToken,
  registerProvider,
  setOffer,
} from '@mu/contract-client';
import { Wallet } from 'ethers';
import { seededPrices, seedMarket } from '../src/devnet.js';
import {
  createMarketplaceClient,
  getClientJobs,
  getJobSpending,
  getProviderDetails,
  getRegionProviders,
  type MarketplaceClient,
} from '../src/index.js';
import { installMulticall3, startAnvil } from '../test/fixtures/anvil.js';
import { startRpcCounter } from '../test/fixtures/rpc-counter.js';

const EXTRA_PROVIDERS = 146; // + the 4 seeded in eu-west = 150, two pages of getRegionOffers
const EXTRA_JOBS = 57; // + the 3 seeded jobs of the first client = 60
const RUNS = 15;
const PROFILE = { requests: 1_000_000, cpuMs: 2_000_000, memoryMbMs: 0, kvReads: 0, kvWrites: 0, egressBytes: 0 };

const anvil = await startAnvil();
const counter = await startRpcCounter(anvil.url);
try {
  await installMulticall3(anvil);
  const [admin, p1, p2, p3, p4, p5, c1, c2] = anvil.wallets;
  const market = await seedMarket({ admin: admin!, providers: [p1!, p2!, p3!, p4!, p5!], clients: [c1!, c2!] });
  const adminClient = createMuClient({ address: market.marketplace, runner: admin! });
  console.log(`seeding ${EXTRA_PROVIDERS} more providers in eu-west and ${EXTRA_JOBS} more jobs…`);
  for (let index = 0; index < EXTRA_PROVIDERS; index++) {
    const wallet = Wallet.createRandom(anvil.provider);
    await anvil.provider.send('anvil_setBalance', [wallet.address, '0x56BC75E2D63100000']);
    const client = createMuClient({ address: market.marketplace, runner: wallet });
    await mintTestToken(adminClient, { to: wallet.address, amount: 100_000_000n });
    await approveToken(client, { amount: 100_000_000n });
    const metadata = `data:application/json,${encodeURIComponent(JSON.stringify({ name: `Bench ${index}`, nodeCount: 1 }))}`;
    await registerProvider(client, {
      encryptionKey: generateEncryptionKey().publicKey,
      metadataURI: metadata,
      deposit: 100_000_000n,
    });
    await setOffer(client, {
      region: 1,
      gatewayURL: `https://bench-${index}.gw.example`,
      prices: seededPrices(index % 5, 1),
    });
  }
  const jobClient = createMuClient({ address: market.marketplace, runner: c1! });
  for (let index = 0; index < EXTRA_JOBS; index++) {
    await createJob(jobClient, {
      provider: market.providers[[0, 1, 2, 4][index % 4]!]!.address,
      region: 1,
      encryptedSpec: '0xc0ffee',
      prepayment: 1_000_000n,
    });
  }

  const fresh = (multicall: boolean): MarketplaceClient =>
    createMarketplaceClient({
      rpc: counter.url,
      address: market.marketplace,
      fromBlock: market.deployBlock,
      multicall: multicall ? 'auto' : false,
    });
  const queries: Record<string, (client: MarketplaceClient) => Promise<unknown>> = {
    'region listing, 150 providers, ranked': (client) => getRegionProviders(client, { region: 1, usage: PROFILE }),
    'job page, 50 jobs': (client) => getClientJobs(client, { client: market.clients[0]!, limit: 50 }),
    'provider details': (client) => getProviderDetails(client, { provider: market.providers[0]!.address }),
    'job spending, 3 reports': (client) => getJobSpending(client, { jobId: 1n }),
  };
  const rows: Record<string, unknown>[] = [];
  for (const [name, query] of Object.entries(queries)) {
    for (const multicall of [true, false]) {
      const client = fresh(multicall);
      await query(client); // connection check and warm-up, not counted
      client.clearCache();
      counter.reset();
      await query(client);
      const calls = Object.fromEntries(counter.methods);
      const http = counter.httpRequests;
      const times: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        client.clearCache();
        const start = performance.now();
        await query(client);
        times.push(performance.now() - start);
      }
      times.sort((a, b) => a - b);
      const cachedStart = performance.now();
      await query(client);
      rows.push({
        query: name,
        multicall,
        rpcCalls: Object.values(calls).reduce((sum, count) => sum + count, 0),
        methods: calls,
        httpRequests: http,
        medianMs: Number(times[Math.floor(RUNS / 2)]!.toFixed(2)),
        p90Ms: Number(times[Math.floor(RUNS * 0.9)]!.toFixed(2)),
        cachedMs: Number((performance.now() - cachedStart).toFixed(3)),
      });
    }
  }
  console.table(rows.map(({ methods: _methods, ...row }) => row));
  const root = new URL('../../../bench-results/', import.meta.url);
  mkdirSync(root, { recursive: true });
  const result = {
    benchmark: 'marketplace',
    date: new Date().toISOString(),
    machine: { node: process.version, cpus: cpus().length, model: cpus()[0]?.model },
    chain: 'anvil on 127.0.0.1 through a counting JSON-RPC proxy',
    runs: RUNS,
    rows,
  };
  writeFileSync(new URL('marketplace.json', root), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result));
} finally {
  await counter.stop();
  await anvil.stop();
}
