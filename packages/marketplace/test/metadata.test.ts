import { createServer, type Server } from 'node:http';
import { MuMarketplaceAbi, toOfferRecord } from '@mu/contracts';
import { Interface, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTtlCache, estimateCost, fetchProviderMetadata, rankByCost } from '../src/index.js';
import { decodeOfferPage } from '../src/offer-page.js';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/provider.json') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ name: 'Acme', nodeCount: 3, hardware: 'EPYC', region: 'eu', nodeCountNote: 'x' }));
    } else if (request.url === '/array.json') {
      response.end('[1,2]');
    } else if (request.url === '/big.json') {
      response.end(JSON.stringify({ name: 'x'.repeat(70_000) }));
    } else if (request.url === '/ipfs/bafyprovider') {
      response.end(JSON.stringify({ name: 'From IPFS', nodeCount: -1 }));
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('provider metadata', () => {
  it('reads what a provider discloses over http(s), data: and ipfs: (through a gateway)', async () => {
    expect(await fetchProviderMetadata(`${base}/provider.json`)).toMatchObject({
      status: 'ok',
      name: 'Acme',
      nodeCount: 3,
      hardware: 'EPYC',
      document: { region: 'eu' },
    });
    const inline = await fetchProviderMetadata('data:application/json,{"name":"Inline"}');
    expect(inline).toMatchObject({ status: 'ok', name: 'Inline' });
    expect(inline.nodeCount).toBeUndefined();
    // A negative node count is not a count: left out.
    const ipfs = await fetchProviderMetadata('ipfs://bafyprovider', { ipfsGateway: `${base}/ipfs` });
    expect(ipfs).toMatchObject({ status: 'ok', name: 'From IPFS' });
    expect(ipfs.nodeCount).toBeUndefined();
  });

  it('says why a document could not be read instead of throwing', async () => {
    expect(await fetchProviderMetadata('')).toEqual({ status: 'none' });
    expect((await fetchProviderMetadata('ipfs://bafyprovider')).status).toBe('unsupported');
    expect((await fetchProviderMetadata('ftp://example.com/x')).status).toBe('unsupported');
    expect(await fetchProviderMetadata(`${base}/missing.json`)).toMatchObject({
      status: 'unavailable',
      error: 'HTTP 404',
    });
    expect((await fetchProviderMetadata(`${base}/array.json`)).status).toBe('invalid');
    expect((await fetchProviderMetadata(`${base}/big.json`)).status).toBe('invalid');
    expect((await fetchProviderMetadata('data:application/json,{oops')).status).toBe('invalid');
  });
});

describe('cost', () => {
  const prices = {
    perRequest: 200_000_000n,
    perCpuMs: 20_000_000n,
    perMemoryMbMs: 0n,
    perKvRead: 0n,
    perKvWrite: 0n,
    perEgressByte: 1n,
  };
  const usage = { requests: 1_000, cpuMs: 5_000, memoryMbMs: 0, kvReads: 0, kvWrites: 0, egressBytes: 999_999_999 };

  it('charges Σ counter × price ÷ 10^9, rounded down, like the contract', () => {
    // 1000 × 0.2 + 5000 × 0.02 + 999_999_999 × 10⁻⁹ = 300.999999999 → 300
    expect(estimateCost(usage, prices)).toBe(300n);
    const max = (1n << 64n) - 1n;
    expect(estimateCost({ ...usage, requests: max, egressBytes: 0 }, { ...prices, perRequest: max })).toBe(
      (max * max + 5000n * 20_000_000n) / 1_000_000_000n,
    );
  });

  it('ranks cheapest first, then by larger deposit', () => {
    const offers = [
      { provider: '0xb', deposit: 1n, prices },
      { provider: '0xa', deposit: 5n, prices },
      { provider: '0xc', deposit: 9n, prices: { ...prices, perRequest: 100_000_000n } },
    ];
    expect(rankByCost(offers, usage).map((offer) => [offer.provider, offer.cost])).toEqual([
      ['0xc', 200n],
      ['0xa', 300n],
      ['0xb', 300n],
    ]);
    expect(() => rankByCost(offers, { ...usage, cpuMs: 0.5 })).toThrow(RangeError);
    expect(() => estimateCost({ ...usage, kvReads: '1' as unknown as number }, prices)).toThrow(TypeError);
  });
});

describe('TTL cache', () => {
  it('drops entries after the TTL and the oldest beyond its size', async () => {
    const cache = createTtlCache(20, 2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 2, 3]);
    // The TTL passing is the behaviour under test (the cache reads Date.now()): a real wait, longer than the TTL.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.size).toBe(1);
  });
});

describe('the getRegionOffers decoder', () => {
  const iface = new Interface(MuMarketplaceAbi);
  const max = (1n << 64n) - 1n;
  const offer = (index: number) => ({
    provider: Wallet.createRandom().address,
    region: 4_000_000_000 + index,
    open: index % 2 === 0,
    gatewayURL: index === 0 ? '' : `https://gw-${index}.example/ünï/${'x'.repeat(index * 7)}`,
    prices: {
      perRequest: max,
      perCpuMs: BigInt(index),
      perMemoryMbMs: 0n,
      perKvRead: 1n,
      perKvWrite: max - 1n,
      perEgressByte: 7n,
    },
    providerDeposit: (1n << 200n) + BigInt(index),
    encryptionKey: index === 1 ? '0x' : `0x02${'ab'.repeat(32)}`,
    metadataURI: `data:application/json,${encodeURIComponent(JSON.stringify({ name: `P${index}`, emoji: '⚡' }))}`,
  });

  it('decodes exactly what the ABI decodes', () => {
    for (const count of [0, 1, 5, 100]) {
      const page = Array.from({ length: count }, (_, index) => offer(index));
      const data = iface.encodeFunctionResult('getRegionOffers', [page, 1234n]);
      const fast = decodeOfferPage(data);
      const [items, total] = iface.decodeFunctionResult('getRegionOffers', data) as unknown as [unknown[], bigint];
      expect(fast.total).toBe(total);
      expect(fast.items).toEqual([...items].map(toOfferRecord));
    }
  });

  it('refuses answers of another shape (the ABI decoder then takes over)', () => {
    expect(() => decodeOfferPage('0x1234')).toThrow(RangeError);
    const data = iface.encodeFunctionResult('getRegions', [[{ id: 1, name: 'eu-west' }], 1n]);
    expect(() => decodeOfferPage(data)).toThrow(RangeError);
  });
});
