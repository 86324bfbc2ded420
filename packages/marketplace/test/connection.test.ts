import { createServer } from 'node:net';
import { createMuClient, createRegion, setMinProviderDeposit } from '@mu/contract-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMarketplaceClient,
  type Eip1193Provider,
  getJob,
  getMarketplaceInfo,
  getProviderDetails,
  getRegionProviders,
  getRegions,
  type MarketplaceError,
  RpcUnreachableError,
  WrongChainError,
  WrongContractError,
} from '../src/index.js';
import { type MarketFixture, startMarket } from './fixtures/market.js';

let fixture: MarketFixture;

beforeAll(async () => {
  fixture = await startMarket({ multicall: false });
});

afterAll(async () => {
  await fixture?.stop();
});

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A minimal EIP-1193 provider over HTTP, as a wallet exposes one: JSON-RPC errors thrown as `{ code, message, data }`. */
function eip1193(url: string): Eip1193Provider {
  let id = 0;
  return {
    async request({ method, params }) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
      });
      const body = (await response.json()) as {
        result?: unknown;
        error?: { code: number; message: string; data?: unknown };
      };
      if (body.error) throw Object.assign(new Error(body.error.message), body.error);
      return body.result;
    },
  };
}

describe('connection checks', () => {
  it('fails with MARKETPLACE_RPC_UNREACHABLE when nothing listens at the RPC URL', async () => {
    const client = createMarketplaceClient({
      rpc: `http://127.0.0.1:${await closedPort()}`,
      address: fixture.market.marketplace,
    });
    const error = await getRegions(client).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RpcUnreachableError);
    expect(error).toMatchObject({ code: 'MARKETPLACE_RPC_UNREACHABLE' });
    expect((error as MarketplaceError).details).toContain('127.0.0.1');
    expect((error as Error).cause).toBeDefined();
  });

  it('fails with MARKETPLACE_WRONG_CHAIN when the RPC serves another chain', async () => {
    const client = createMarketplaceClient({
      rpc: fixture.counter.url,
      address: fixture.market.marketplace,
      chainId: 1,
    });
    const error = await getRegions(client).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WrongChainError);
    expect(error).toMatchObject({ code: 'MARKETPLACE_WRONG_CHAIN', expected: 1n, actual: 31337n });
  });

  it('fails with MARKETPLACE_WRONG_CONTRACT for an address without code or with another contract', async () => {
    for (const address of ['0x000000000000000000000000000000000000bEEF', fixture.market.token]) {
      const client = createMarketplaceClient({ rpc: fixture.counter.url, address });
      const error = await getRegions(client).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(WrongContractError);
      expect(error).toMatchObject({ code: 'MARKETPLACE_WRONG_CONTRACT', address });
    }
  });

  it('checks again after a failed connection (a wallet that was disconnected, then reconnects)', async () => {
    const wallet = eip1193(fixture.counter.url);
    let connected = false;
    const flaky: Eip1193Provider = {
      request: (args) =>
        connected ? wallet.request(args) : Promise.reject(Object.assign(new Error('Disconnected'), { code: 4900 })),
    };
    const client = createMarketplaceClient({ rpc: flaky, address: fixture.market.marketplace });
    await expect(getRegions(client)).rejects.toBeInstanceOf(RpcUnreachableError);
    connected = true;
    expect(await getRegions(client)).toHaveLength(3);
  });
});

describe('without Multicall3 on the chain', () => {
  it('falls back to one eth_call per read, all in one HTTP batch per round trip', async () => {
    const client = createMarketplaceClient({ rpc: fixture.counter.url, address: fixture.market.marketplace });
    fixture.counter.reset();
    const offers = await getRegionProviders(client, { region: 1 });
    expect(offers).toHaveLength(4);
    // The connection check (chain id, eip712Domain, Multicall3 code), then regionCount, minProviderDeposit and
    // getRegionOffers: three eth_calls in one HTTP request, not one per provider.
    expect(Object.fromEntries(fixture.counter.methods)).toEqual({ eth_chainId: 1, eth_call: 4, eth_getCode: 1 });
    expect(fixture.counter.httpRequests).toBe(2);
    expect((await getMarketplaceInfo(client)).multicall).toBeUndefined();
    fixture.counter.reset();
    await getProviderDetails(client, { provider: fixture.market.providers[0]!.address });
    // getProvider, getRegions, getProviderJobs, credits; then getOffer in each of the 3 regions.
    expect(Object.fromEntries(fixture.counter.methods)).toEqual({ eth_call: 7 });
    expect(fixture.counter.httpRequests).toBe(2);
  });

  it('reads the job status from the latest block time', async () => {
    const client = createMarketplaceClient({ rpc: fixture.counter.url, address: fixture.market.marketplace });
    expect((await getJob(client, { jobId: 6 })).status).toBe('cancelled');
    await fixture.anvil.provider.send('evm_increaseTime', [7200]);
    await fixture.anvil.provider.send('evm_mine', []);
    client.clearCache();
    expect((await getJob(client, { jobId: 6 })).status).toBe('closed');
    expect((await getJob(client, { jobId: 1 })).status).toBe('active');
  });

  it('reads every page of a list longer than the contract’s 100-item page', async () => {
    const admin = createMuClient({ address: fixture.market.marketplace, runner: fixture.anvil.wallets[0]! });
    for (let index = 4; index <= 105; index++) await createRegion(admin, { name: `region-${index}` });
    const client = createMarketplaceClient({ rpc: fixture.counter.url, address: fixture.market.marketplace });
    await getMarketplaceInfo(client);
    fixture.counter.reset();
    const regions = await getRegions(client);
    expect(regions).toHaveLength(105);
    expect(regions.map((region) => region.id)).toEqual(Array.from({ length: 105 }, (_, index) => index + 1));
    expect(regions[104]).toEqual({ id: 105, name: 'region-105' });
    // The first page says there are 105; the second is read next.
    expect(Object.fromEntries(fixture.counter.methods)).toEqual({ eth_call: 2 });
    await expect(getRegionProviders(client, { region: 105 })).resolves.toEqual([]);
  });

  it('leaves out providers whose deposit fell below the minimum: they cannot take jobs', async () => {
    const admin = createMuClient({ address: fixture.market.marketplace, runner: fixture.anvil.wallets[0]! });
    const client = createMarketplaceClient({
      rpc: fixture.counter.url,
      address: fixture.market.marketplace,
      cacheTtlMs: 0,
    });
    await setMinProviderDeposit(admin, { amount: 160_000_000n });
    try {
      // Alpine (100 mUSD) and Borealis (150 mUSD) are under 160; Cumulus (200) and Echo (300) stay.
      const names = async (includeClosed: boolean) =>
        (await getRegionProviders(client, { region: 1, includeClosed })).map((offer) => offer.metadata?.name);
      expect(await names(false)).toEqual(['Cumulus Edge', 'Echo Systems']);
      expect(await names(true)).toEqual(['Alpine Compute', 'Borealis Cloud', 'Cumulus Edge', 'Echo Systems']);
    } finally {
      await setMinProviderDeposit(admin, { amount: 100_000_000n });
    }
  });

  it('fails with a typed error when the multicall option names an address without Multicall3', async () => {
    const client = createMarketplaceClient({
      rpc: fixture.counter.url,
      address: fixture.market.marketplace,
      multicall: '0x000000000000000000000000000000000000cA11',
    });
    await expect(getRegionProviders(client, { region: 1 })).rejects.toMatchObject({
      code: 'MARKETPLACE_CALL_REVERTED',
    });
  });

  it('works over an EIP-1193 provider, with the same typed errors', async () => {
    const client = createMarketplaceClient({
      rpc: eip1193(fixture.counter.url),
      address: fixture.market.marketplace,
      chainId: 31337,
    });
    const offers = await getRegionProviders(client, { region: 3 });
    expect(offers.map((offer) => offer.metadata?.name)).toEqual(['Cumulus Edge', 'Delta Metal']);
    await expect(getJob(client, { jobId: 42 })).rejects.toMatchObject({ code: 'MARKETPLACE_UNKNOWN_JOB' });
    expect(client.transport.stats.rpcCalls).toBeGreaterThan(0);
    const unreachable = createMarketplaceClient({
      rpc: eip1193(`http://127.0.0.1:${await closedPort()}`),
      address: fixture.market.marketplace,
    });
    await expect(getRegions(unreachable)).rejects.toMatchObject({ code: 'MARKETPLACE_RPC_UNREACHABLE' });
  });
});
