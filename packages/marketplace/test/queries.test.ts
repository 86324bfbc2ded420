import { chargeFor } from '@mu/contract-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededPrices } from '../src/devnet.js';
import {
  createMarketplaceClient,
  estimateCost,
  getClientJobs,
  getJob,
  getJobSpending,
  getMarketplaceInfo,
  getProviderDetails,
  getProviderJobs,
  getRegionProviders,
  getRegions,
  JobNotFoundError,
  type MarketplaceClient,
  MULTICALL3_ADDRESS,
  ProviderNotFoundError,
  RegionNotFoundError,
} from '../src/index.js';
import { type MarketFixture, startMarket } from './fixtures/market.js';

const PROFILE = {
  requests: 1_000_000n,
  cpuMs: 2_000_000n,
  memoryMbMs: 50_000_000n,
  kvReads: 100_000n,
  kvWrites: 10_000n,
  egressBytes: 1_000_000_000n,
};

let fixture: MarketFixture;
let client: MarketplaceClient;

function freshClient(options: { cacheTtlMs?: number } = {}): MarketplaceClient {
  return createMarketplaceClient({
    rpc: fixture.counter.url,
    address: fixture.market.marketplace,
    chainId: 31337,
    fromBlock: fixture.market.deployBlock,
    ...options,
  });
}

beforeAll(async () => {
  fixture = await startMarket({ multicall: true });
  client = freshClient();
});

afterAll(async () => {
  await fixture?.stop();
});

describe('queries against a seeded market (Multicall3 on the chain)', () => {
  it('reads the marketplace, its token and finds Multicall3', async () => {
    const info = await getMarketplaceInfo(client);
    expect(info).toMatchObject({
      chainId: 31337n,
      address: fixture.market.marketplace,
      multicall: MULTICALL3_ADDRESS,
      token: { address: fixture.market.token, symbol: 'mUSD', decimals: 6 },
      protocolFeeBps: 250,
      minProviderDeposit: 100_000_000n,
      regionCount: 3,
      jobCount: 6n,
      paused: false,
    });
  });

  it('lists the regions in id order', async () => {
    expect(await getRegions(client)).toEqual([
      { id: 1, name: 'eu-west' },
      { id: 2, name: 'us-east' },
      { id: 3, name: 'ap-south' },
    ]);
  });

  it('lists the open offers of a region with deposit, gateway, prices and disclosed metadata', async () => {
    const offers = await getRegionProviders(client, { region: 2 });
    const providers = fixture.market.providers;
    // us-east: Alpine, Delta and Echo are open; Borealis closed its offer.
    expect(offers.map((offer) => offer.provider)).toEqual([
      providers[0]!.address,
      providers[3]!.address,
      providers[4]!.address,
    ]);
    const delta = offers[1]!;
    expect(delta).toMatchObject({
      region: 2,
      open: true,
      gatewayURL: 'https://delta-us-east.gw.example',
      prices: seededPrices(3, 2),
      deposit: providers[3]!.deposit,
      metadataURI: providers[3]!.metadataURI,
      metadata: { status: 'ok', name: 'Delta Metal', nodeCount: 12, hardware: 'Intel Xeon 6, 128 GB per node' },
    });
    expect(delta.encryptionKey).toMatch(/^0x0[23][0-9a-f]{64}$/);
    // Echo discloses its name only.
    expect(offers[2]!.metadata).toMatchObject({ status: 'ok', name: 'Echo Systems' });
    expect(offers[2]!.metadata?.nodeCount).toBeUndefined();
    expect(offers[2]!.metadata?.hardware).toBeUndefined();

    const withClosed = await getRegionProviders(client, { region: 2, includeClosed: true, metadata: false });
    expect(withClosed.find((offer) => offer.provider === providers[1]!.address)).toMatchObject({ open: false });
    expect(withClosed[0]!.metadata).toBeUndefined();
  });

  it('ranks the providers of a region by the cost of a usage profile, as the contract would charge', async () => {
    const ranked = await getRegionProviders(client, { region: 1, usage: PROFILE });
    const expected = [0, 1, 2, 4]
      .map((index) => ({
        provider: fixture.market.providers[index]!.address,
        cost: chargeFor(seededPrices(index, 1), PROFILE),
      }))
      .sort((a, b) => (a.cost < b.cost ? -1 : a.cost > b.cost ? 1 : 0));
    expect(ranked.map(({ provider, cost }) => ({ provider, cost }))).toEqual(expected);
    expect(ranked[0]!.cost! < ranked[3]!.cost!).toBe(true);
  });

  it('reads one provider: stake, offers in every region with region names, job count, metadata', async () => {
    const alpine = fixture.market.providers[0]!;
    const details = await getProviderDetails(client, { provider: alpine.address.toLowerCase() });
    expect(details).toMatchObject({
      provider: alpine.address,
      deposit: alpine.deposit,
      unbonding: 0n,
      activeJobs: 2,
      jobCount: 2n,
      metadataURI: alpine.metadataURI,
      metadata: { status: 'ok', name: 'Alpine Compute', nodeCount: 4, website: 'https://alpine.example' },
    });
    expect(details.credits > 0n).toBe(true);
    expect(details.offers).toEqual([
      {
        region: 1,
        regionName: 'eu-west',
        open: true,
        gatewayURL: 'https://alpine-eu-west.gw.example',
        prices: seededPrices(0, 1),
      },
      {
        region: 2,
        regionName: 'us-east',
        open: true,
        gatewayURL: 'https://alpine-us-east.gw.example',
        prices: seededPrices(0, 2),
      },
    ]);
    const borealis = await getProviderDetails(client, { provider: fixture.market.providers[1]!.address });
    expect(borealis.offers.map((offer) => [offer.regionName, offer.open])).toEqual([
      ['eu-west', true],
      ['us-east', false],
    ]);
  });

  it('reads a job: status, escrow left, locked prices and endpoint', async () => {
    const seeded = fixture.market.jobs[0]!;
    const job = await getJob(client, { jobId: 1 });
    const charged = seeded.reports.reduce((sum, report) => sum + chargeFor(seededPrices(0, 1), report.usage), 0n);
    expect(job).toMatchObject({
      id: 1n,
      client: seeded.client,
      provider: seeded.provider,
      region: 1,
      status: 'active',
      escrow: seeded.prepayment + 10_000_000n - charged,
      shortfall: 0n,
      prices: seededPrices(0, 1),
      endpoint: 'https://alpine-eu-west.gw.example/1',
    });
    expect((await getJob(client, { jobId: 5n })).status).toBe('exhausted');
    const cancelled = await getJob(client, { jobId: 6n });
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelled: true });
    expect(cancelled.closesAt > 0n).toBe(true);
  });

  it('pages the jobs of a client and of a provider, oldest first', async () => {
    const [first, second] = fixture.market.clients;
    const page = await getClientJobs(client, { client: first!, limit: 2 });
    expect(page.total).toBe(3n);
    expect(page.items.map((job) => job.id)).toEqual([1n, 2n]);
    const next = await getClientJobs(client, { client: first!, offset: 2, limit: 2 });
    expect(next.items.map((job) => [job.id, job.status])).toEqual([[5n, 'exhausted']]);
    const other = await getClientJobs(client, { client: second!, limit: 100 });
    expect(other.items.map((job) => job.id)).toEqual([3n, 4n, 6n]);
    const alpine = await getProviderJobs(client, { provider: fixture.market.providers[0]!.address });
    expect(alpine).toMatchObject({ total: 2n, offset: 0, limit: 20 });
    expect(alpine.items.map((job) => [job.id, job.endpoint])).toEqual([
      [1n, 'https://alpine-eu-west.gw.example/1'],
      [4n, 'https://alpine-us-east.gw.example/4'],
    ]);
    const nobody = await getClientJobs(client, { client: fixture.market.providers[0]!.address });
    expect(nobody).toEqual({ items: [], total: 0n, offset: 0, limit: 20 });
  });

  it('follows a job’s usage and charges over time, its burn rate and when the escrow runs out', async () => {
    const seeded = fixture.market.jobs[0]!;
    const prices = seededPrices(0, 1);
    const spending = await getJobSpending(client, { jobId: 1n });
    expect(
      spending.settlements.map((point) => [
        point.node,
        point.sequence,
        point.periodStart,
        point.periodEnd,
        point.usage,
      ]),
    ).toEqual(
      seeded.reports.map((report) => [
        report.node,
        report.sequence,
        report.periodStart,
        report.periodEnd,
        report.usage,
      ]),
    );
    const charges = seeded.reports.map((report) => chargeFor(prices, report.usage));
    expect(spending.settlements.map((point) => point.charged)).toEqual(charges);
    // estimateCost agrees with the contract's own charge for every settled report.
    expect(seeded.reports.map((report) => estimateCost(report.usage, prices))).toEqual(charges);
    const total = charges.reduce((sum, charge) => sum + charge, 0n);
    expect(spending.deposits.map((deposit) => [deposit.kind, deposit.amount])).toEqual([
      ['prepayment', 50_000_000n],
      ['topUp', 10_000_000n],
    ]);
    expect(spending.totals.charged).toBe(total);
    expect(spending.totals.deposited).toBe(60_000_000n);
    expect(spending.totals.usage.requests).toBe(
      seeded.reports.reduce((sum, report) => sum + report.usage.requests, 0n),
    );
    expect(spending.burnRate).toEqual({ charged: total, seconds: 10_800n, perHour: (total * 3600n) / 10_800n });
    expect(spending.job.escrow).toBe(60_000_000n - total);
    expect(spending.secondsLeft).toBe(((60_000_000n - total) * 10_800n) / total);
    expect(spending.runsOutAt).toBe(seeded.reports[2]!.periodEnd + spending.secondsLeft!);

    const window = await getJobSpending(client, { jobId: 1n, burnWindowSeconds: 3600 });
    expect(window.burnRate).toEqual({ charged: charges[2], seconds: 3600n, perHour: charges[2] });

    const exhausted = await getJobSpending(client, { jobId: 5n });
    expect(exhausted.totals.charged).toBe(1_000_000n);
    expect(exhausted.secondsLeft).toBe(0n);
    const cancelled = await getJobSpending(client, { jobId: 6n });
    expect(cancelled.secondsLeft).toBeUndefined();
    expect(cancelled.settlements).toHaveLength(3);
  });

  it('fails with typed errors for an unknown job, provider or region', async () => {
    await expect(getJob(client, { jobId: 99n })).rejects.toBeInstanceOf(JobNotFoundError);
    await expect(getJob(client, { jobId: 99n })).rejects.toMatchObject({ code: 'MARKETPLACE_UNKNOWN_JOB', jobId: 99n });
    await expect(getJobSpending(client, { jobId: 7 })).rejects.toMatchObject({ code: 'MARKETPLACE_UNKNOWN_JOB' });
    const stranger = '0x000000000000000000000000000000000000dEaD';
    await expect(getProviderDetails(client, { provider: stranger })).rejects.toBeInstanceOf(ProviderNotFoundError);
    await expect(getProviderDetails(client, { provider: stranger })).rejects.toMatchObject({
      code: 'MARKETPLACE_UNKNOWN_PROVIDER',
    });
    await expect(getRegionProviders(client, { region: 4 })).rejects.toBeInstanceOf(RegionNotFoundError);
    await expect(getRegionProviders(client, { region: 4 })).rejects.toMatchObject({
      code: 'MARKETPLACE_UNKNOWN_REGION',
    });
  });

  it('rejects bad arguments with TypeError/RangeError before any request', async () => {
    const counted = freshClient();
    fixture.counter.reset();
    await expect(getJob(counted, { jobId: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(getJob(counted, { jobId: 1.5 })).rejects.toBeInstanceOf(TypeError);
    await expect(getRegionProviders(counted, { region: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(getProviderDetails(counted, { provider: 'alice' })).rejects.toBeInstanceOf(TypeError);
    await expect(getClientJobs(counted, { client: fixture.market.clients[0]!, limit: 101 })).rejects.toBeInstanceOf(
      RangeError,
    );
    expect(() => estimateCost({ ...PROFILE, requests: -1n }, seededPrices(0, 1))).toThrow(RangeError);
    expect(() => createMarketplaceClient({ rpc: 'ws://x', address: fixture.market.marketplace })).toThrow(TypeError);
    expect(() => createMarketplaceClient({ rpc: fixture.counter.url, address: '0x12' })).toThrow(TypeError);
    expect(fixture.counter.calls).toBe(0);
  });
});

describe('RPC calls a listing makes (counted at the wire)', () => {
  it('a region listing is 2 HTTP requests on a fresh client and none while cached, whatever the provider count', async () => {
    const counts: Record<number, { calls: number; http: number; providers: number }> = {};
    for (const region of [1, 3]) {
      const counted = freshClient();
      fixture.counter.reset();
      const offers = await getRegionProviders(counted, { region, usage: PROFILE });
      counts[region] = { calls: fixture.counter.calls, http: fixture.counter.httpRequests, providers: offers.length };
      fixture.counter.reset();
      await getRegionProviders(counted, { region, usage: PROFILE });
      expect(fixture.counter.calls).toBe(0);
    }
    // First request: eth_chainId + eip712Domain + eth_getCode(Multicall3) in one batch; then one aggregate3.
    expect(counts[1]).toEqual({ calls: 4, http: 2, providers: 4 });
    expect(counts[3]).toEqual({ calls: 4, http: 2, providers: 2 });
  });

  it('a page of jobs costs three eth_calls whatever its size; job reads go through Multicall3', async () => {
    const counted = freshClient();
    await getMarketplaceInfo(counted);
    const sizes: number[] = [];
    for (const limit of [1, 3]) {
      counted.clearCache();
      fixture.counter.reset();
      const page = await getClientJobs(counted, { client: fixture.market.clients[1]!, limit });
      expect(page.items).toHaveLength(limit);
      sizes.push(fixture.counter.calls);
      expect([...fixture.counter.methods.keys()]).toEqual(['eth_call']);
    }
    expect(sizes).toEqual([3, 3]);
    expect(fixture.counter.callTargets.filter((target) => target === MULTICALL3_ADDRESS.toLowerCase())).toHaveLength(2);
  });

  it('a provider’s details cost 2 eth_calls; a job’s spending 1 eth_getLogs + one transaction per settlement batch', async () => {
    const counted = freshClient();
    await getMarketplaceInfo(counted);
    fixture.counter.reset();
    await getProviderDetails(counted, { provider: fixture.market.providers[0]!.address });
    expect(Object.fromEntries(fixture.counter.methods)).toEqual({ eth_call: 2 });
    fixture.counter.reset();
    await getJobSpending(counted, { jobId: 1n });
    // Job + chain time in one aggregate3, with the logs in the same HTTP batch (the gateway's offer is still
    // cached from the details); then the 2 settlement transactions that carried the job's 3 reports.
    expect(Object.fromEntries(fixture.counter.methods)).toEqual({
      eth_call: 1,
      eth_getLogs: 1,
      eth_getTransactionByHash: 2,
    });
    expect(fixture.counter.httpRequests).toBe(2);
  });

  it('shares one request among concurrent identical reads (cache holds the promise in flight)', async () => {
    const counted = freshClient({ cacheTtlMs: 0 });
    await getMarketplaceInfo(counted);
    fixture.counter.reset();
    await Promise.all([getRegions(counted), getRegions(counted), getRegions(counted)]);
    expect(fixture.counter.calls).toBe(1);
    fixture.counter.reset();
    await getRegions(counted);
    expect(fixture.counter.calls).toBe(1);
  });
});
