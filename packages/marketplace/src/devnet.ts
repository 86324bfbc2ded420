import {
  approveToken,
  buildSettlements,
  cancelJob,
  certifyNode,
  closeOffer,
  createJob,
  createMuClient,
  deployMu,
  encryptJobSpec,
  generateEncryptionKey,
  generateNodeKey,
  getMuDomain,
  type JobSpec,
  type MuClient,
  mintTestToken,
  type Prices,
  registerProvider,
  type SignedNodeCertificate,
  type SignedUsageReport,
  setOffer,
  settleUsage,
  signUsageReport,
  topUpJob,
} from '@mu/contract-client';
import type { Signer } from 'ethers';
import type { Usage } from './cost.js';

/** A provider of the seeded market and what it offers. */
export interface SeededProvider {
  address: string;
  name: string;
  metadataURI: string;
  /** The metadata document as published (what it discloses). */
  metadata: Record<string, unknown>;
  deposit: bigint;
  offers: { region: number; gatewayURL: string; prices: Prices; open: boolean }[];
}

/** A job of the seeded market, with the usage reports settled for it. */
export interface SeededJob {
  id: bigint;
  client: string;
  provider: string;
  region: number;
  prepayment: bigint;
  topUps: bigint[];
  cancelled: boolean;
  reports: { node: string; sequence: bigint; periodStart: bigint; periodEnd: bigint; usage: Usage }[];
}

/** What {@link seedMarket} created. */
export interface SeededMarket {
  chainId: bigint;
  marketplace: string;
  token: string;
  deployBlock: number;
  regions: { id: number; name: string }[];
  providers: SeededProvider[];
  clients: string[];
  /** Node keys certified by the providers (private keys of a local test network only). */
  nodes: { address: string; provider: string; region: number }[];
  jobs: SeededJob[];
}

const REGIONS = ['eu-west', 'us-east', 'ap-south'];
/** Region price factors in tenths: the same provider charges more where hardware costs more. */
const REGION_FACTOR = [10, 12, 15];

const PROVIDERS: {
  name: string;
  disclose: Record<string, unknown>;
  base: Prices;
  regions: number[];
  closed?: number[];
}[] = [
  {
    name: 'Alpine Compute',
    disclose: { website: 'https://alpine.example', nodeCount: 4, hardware: 'AMD EPYC 9654, 64 GB per node' },
    base: price(200, 20, 2, 50, 500, 90),
    regions: [1, 2],
  },
  {
    name: 'Borealis Cloud',
    disclose: { nodeCount: 2 },
    base: price(150, 30, 3, 40, 400, 80),
    regions: [1, 2],
    closed: [2],
  },
  {
    name: 'Cumulus Edge',
    disclose: { hardware: 'Ampere Altra, 32 GB per node', description: 'ARM nodes close to users' },
    base: price(300, 10, 1, 60, 600, 70),
    regions: [1, 3],
  },
  {
    name: 'Delta Metal',
    disclose: { website: 'https://delta.example', nodeCount: 12, hardware: 'Intel Xeon 6, 128 GB per node' },
    base: price(100, 40, 4, 30, 300, 100),
    regions: [2, 3],
  },
  // Discloses its name only: node count and hardware are the provider's to disclose or not.
  { name: 'Echo Systems', disclose: {}, base: price(250, 15, 2, 45, 450, 85), regions: [1, 2] },
];

/**
 * Prices from readable figures: request, cpu-ms, kv read and kv write in token base units per thousand
 * (200 → 0.2 base units per request → 0.20 tokens of 6 decimals per million requests); memory MB·ms and egress
 * bytes in raw price units (base units × 10⁻⁹).
 */
function price(
  request: number,
  cpuMs: number,
  memoryMbMs: number,
  kvRead: number,
  kvWrite: number,
  egressByte: number,
): Prices {
  const perMillion = (value: number) => BigInt(value) * 1_000_000n;
  return {
    perRequest: perMillion(request),
    perCpuMs: perMillion(cpuMs),
    perMemoryMbMs: BigInt(memoryMbMs),
    perKvRead: perMillion(kvRead),
    perKvWrite: perMillion(kvWrite),
    perEgressByte: BigInt(egressByte),
  };
}

function scale(prices: Prices, factor: number): Prices {
  const times = (value: bigint) => (value * BigInt(factor)) / 10n;
  return {
    perRequest: times(prices.perRequest),
    perCpuMs: times(prices.perCpuMs),
    perMemoryMbMs: times(prices.perMemoryMbMs),
    perKvRead: times(prices.perKvRead),
    perKvWrite: times(prices.perKvWrite),
    perEgressByte: times(prices.perEgressByte),
  };
}

/** The offer prices of provider `index` (0-4) in `region` (1-3) in the seeded market. */
export function seededPrices(index: number, region: number): Prices {
  const provider = PROVIDERS[index];
  const factor = REGION_FACTOR[region - 1];
  if (!provider || factor === undefined) throw new RangeError('index must be 0-4 and region 1-3.');
  return scale(provider.base, factor);
}

const JOBS: {
  client: number;
  provider: number;
  region: number;
  prepayment: bigint;
  topUp?: bigint;
  cancel?: boolean;
  load: number;
}[] = [
  { client: 0, provider: 0, region: 1, prepayment: 50_000_000n, topUp: 10_000_000n, load: 3 },
  { client: 0, provider: 1, region: 1, prepayment: 20_000_000n, load: 2 },
  { client: 1, provider: 2, region: 3, prepayment: 30_000_000n, load: 1 },
  { client: 1, provider: 0, region: 2, prepayment: 10_000_000n, load: 1 },
  // A small escrow and heavy use: exhausted by the first settlement.
  { client: 0, provider: 3, region: 2, prepayment: 1_000_000n, load: 400 },
  { client: 1, provider: 4, region: 1, prepayment: 25_000_000n, cancel: true, load: 2 },
];

const SPEC: JobSpec = {
  version: 1,
  name: 'hello',
  code: { sha256: 'ab'.repeat(32), url: 'https://code.example/hello.wasm', size: 65_536 },
  env: {},
  limits: { memoryMb: 128, timeoutMs: 10_000, maxBodyBytes: 1_048_576 },
};

function usageFor(load: number, period: number): Usage {
  const factor = BigInt(load * (period + 1));
  return {
    requests: 10_000n * factor,
    cpuMs: 25_000n * factor,
    memoryMbMs: 3_200_000n * factor,
    kvReads: 4_000n * factor,
    kvWrites: 400n * factor,
    egressBytes: 50_000_000n * factor,
  };
}

/** Options of {@link seedMarket}. */
export interface SeedMarketOptions {
  /** Deploys the contracts and creates the regions; mints test tokens to everyone. */
  admin: Signer;
  /** Five provider accounts. */
  providers: readonly Signer[];
  /** Two client accounts. */
  clients: readonly Signer[];
  /** Unix seconds the first usage period starts (default: 4 hours before the admin's latest block). */
  periodsStart?: bigint;
}

/**
 * Seeds a local chain with a small market for demos and tests: the Mu contracts, 3 regions, 5 providers
 * (deposits, offers at different prices, metadata that discloses different things), certified nodes, 6 jobs
 * with 3 periods of settled usage (one job exhausted, one topped up, one cancelled, one closed offer).
 * Deterministic apart from the key material. Uses only ethers signers: runs against anvil or any dev chain.
 *
 * @throws {RangeError} when fewer than 5 providers or 2 clients are given.
 * @example
 * ```ts
 * const market = await seedMarket({ admin, providers: wallets.slice(1, 6), clients: wallets.slice(6, 8) });
 * console.log(market.marketplace, market.jobs.length);
 * ```
 */
export async function seedMarket(options: SeedMarketOptions): Promise<SeededMarket> {
  if (options.providers.length < PROVIDERS.length)
    throw new RangeError(`seedMarket needs ${PROVIDERS.length} providers.`);
  if (options.clients.length < 2) throw new RangeError('seedMarket needs 2 clients.');
  const deployment = await deployMu({ signer: options.admin, regions: REGIONS, settlementWindow: 3600n });
  const admin = deployment.client;
  const connect = (signer: Signer): MuClient => createMuClient({ address: deployment.marketplace, runner: signer });
  const domain = await getMuDomain(admin);

  const providers: SeededProvider[] = [];
  const certificates: SignedNodeCertificate[] = [];
  const nodeKeys = new Map<string, ReturnType<typeof generateNodeKey>>();
  const encryptionKeys: string[] = [];
  for (const [index, plan] of PROVIDERS.entries()) {
    const signer = options.providers[index]!;
    const address = await signer.getAddress();
    const client = connect(signer);
    const deposit = 100_000_000n + BigInt(index) * 50_000_000n;
    await mintTestToken(admin, { to: address, amount: deposit });
    await approveToken(client, { amount: deposit });
    const metadata = { name: plan.name, ...plan.disclose };
    const metadataURI = `data:application/json,${encodeURIComponent(JSON.stringify(metadata))}`;
    const key = generateEncryptionKey();
    encryptionKeys.push(key.publicKey);
    await registerProvider(client, { encryptionKey: key.publicKey, metadataURI, deposit });
    const offers: SeededProvider['offers'] = [];
    for (const region of plan.regions) {
      const gatewayURL = `https://${plan.name.split(' ')[0]!.toLowerCase()}-${REGIONS[region - 1]}.gw.example`;
      const prices = seededPrices(index, region);
      await setOffer(client, { region, gatewayURL, prices });
      const open = !plan.closed?.includes(region);
      if (!open) await closeOffer(client, { region });
      offers.push({ region, gatewayURL, prices, open });
      for (let copy = 0; copy < 2; copy++) {
        const node = generateNodeKey();
        nodeKeys.set(`${address}:${region}:${copy}`, node);
        certificates.push(await certifyNode(signer, { node: node.address, region, notAfter: 4_000_000_000n }, domain));
      }
    }
    providers.push({ address, name: plan.name, metadataURI, metadata, deposit, offers });
  }

  const clients = await Promise.all(options.clients.slice(0, 2).map((signer) => signer.getAddress()));
  for (const [index, signer] of options.clients.slice(0, 2).entries()) {
    await mintTestToken(admin, { to: clients[index]!, amount: 1_000_000_000n });
    await approveToken(connect(signer), { amount: 1_000_000_000n });
  }

  const jobs: SeededJob[] = [];
  for (const plan of JOBS) {
    const provider = providers[plan.provider]!;
    const client = connect(options.clients[plan.client]!);
    const encryptedSpec = encryptJobSpec(SPEC, encryptionKeys[plan.provider]!, {
      chainId: domain.chainId,
      contract: deployment.marketplace,
      client: clients[plan.client]!,
      provider: provider.address,
    });
    const { jobId } = await createJob(client, {
      provider: provider.address,
      region: plan.region,
      encryptedSpec,
      prepayment: plan.prepayment,
    });
    jobs.push({
      id: jobId,
      client: clients[plan.client]!,
      provider: provider.address,
      region: plan.region,
      prepayment: plan.prepayment,
      topUps: [],
      cancelled: false,
      reports: [],
    });
  }

  const latest = await options.admin.provider!.getBlock('latest');
  const start = options.periodsStart ?? BigInt(latest!.timestamp) - 4n * 3600n;
  // Three hourly periods; the first two settle together, the third after the top-up and the cancel.
  for (const periods of [[0, 1], [2]]) {
    if (periods[0] === 2) {
      for (const [index, plan] of JOBS.entries()) {
        const job = jobs[index]!;
        const client = connect(options.clients[plan.client]!);
        if (plan.topUp) {
          await topUpJob(client, { jobId: job.id, amount: plan.topUp });
          job.topUps.push(plan.topUp);
        }
        if (plan.cancel) {
          await cancelJob(client, { jobId: job.id });
          job.cancelled = true;
        }
      }
    }
    const reports: SignedUsageReport[] = [];
    for (const period of periods) {
      for (const [index, plan] of JOBS.entries()) {
        const job = jobs[index]!;
        // Alternate the job's two nodes, so both appear in the history.
        const node = nodeKeys.get(`${job.provider}:${job.region}:${period % 2}`)!;
        const usage = usageFor(plan.load, period);
        const sequence = BigInt(period + 1);
        const periodStart = start + BigInt(period) * 3600n;
        const periodEnd = periodStart + 3600n;
        reports.push(
          await signUsageReport(node, { jobId: job.id, sequence, periodStart, periodEnd, ...usage }, domain),
        );
        job.reports.push({ node: node.address, sequence, periodStart, periodEnd, usage });
      }
    }
    const { settlements } = buildSettlements(reports, certificates, { domain });
    for (const settlement of settlements) await settleUsage(admin, settlement);
  }

  return {
    chainId: deployment.chainId,
    marketplace: deployment.marketplace,
    token: deployment.token,
    deployBlock: deployment.deployBlock,
    regions: deployment.regions,
    providers,
    clients,
    nodes: [...nodeKeys.entries()].map(([key, node]) => {
      const [provider, region] = key.split(':');
      return { address: node.address, provider: provider!, region: Number(region) };
    }),
    jobs,
  };
}
