import { waitUntil } from '@mu/test-kit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  buildSettlements,
  ChainReorganizedError,
  cancelJob,
  createJob,
  DecryptionError,
  decryptJobEventSpec,
  decryptJobSpec,
  generateEncryptionKey,
  type JobEvent,
  setOffer,
  settleUsage,
  signUsageReport,
  topUpJob,
  updateJobSpec,
  type WatchJobsOptions,
  watchJobs,
} from '../src/index.js';
import { sampleSpec } from './fixtures/job-spec.js';
import { type Network, PRICES, startNetwork } from './fixtures/network.js';

let net: Network;
let jobId: bigint;
let lastBlock: number;
beforeAll(async () => {
  net = await startNetwork();
  await setOffer(net.provider, { region: 2, gatewayURL: 'https://us.example', prices: PRICES });
  const create = (region: number, prepayment: bigint) =>
    createJob(net.client, {
      provider: net.wallets.provider.address,
      region,
      encryptedSpec: net.envelope(),
      prepayment,
    });
  ({ jobId } = await create(1, 1_000n));
  await create(2, 1_000n); // another region: never delivered
  await topUpJob(net.client, { jobId, amount: 1_000n });
  await updateJobSpec(net.client, { jobId, encryptedSpec: net.envelope() });
  const signed = await signUsageReport(
    net.nodeKey,
    {
      jobId,
      sequence: 1n,
      periodStart: 0n,
      periodEnd: 60n,
      requests: 10n ** 9n,
      cpuMs: 0n,
      memoryMbMs: 0n,
      kvReads: 0n,
      kvWrites: 0n,
      egressBytes: 0n,
    },
    net.domain,
  );
  await settleUsage(net.other, buildSettlements([signed], [net.certificate]).settlements[0]!);
  await cancelJob(net.client, { jobId });
  lastBlock = await net.anvil.provider.getBlockNumber();
});
afterAll(async () => {
  await net?.anvil.stop();
});

async function collect(options: Partial<WatchJobsOptions>): Promise<JobEvent[]> {
  const events: JobEvent[] = [];
  const iterator = watchJobs(net.client, {
    provider: net.wallets.provider.address,
    region: 1,
    fromBlock: net.mu.deployBlock,
    toBlock: lastBlock,
    pollingIntervalMs: 5,
    ...options,
  });
  for await (const event of iterator) events.push(event);
  return events;
}

describe('watchJobs', () => {
  it("delivers the provider's job events in the region, in chain order, once each", async () => {
    const events = await collect({});
    expect(events.map((event) => event.type)).toEqual([
      'JobCreated',
      'JobToppedUp',
      'JobUpdated',
      'JobExhausted',
      'JobCancelled',
    ]);
    expect(new Set(events.map((event) => event.jobId))).toEqual(new Set([jobId]));
    expect(new Set(events.map((event) => event.cursor)).size).toBe(5);
    const created = events[0]!;
    if (created.type !== 'JobCreated') throw new Error('expected JobCreated');
    expect(created).toMatchObject({
      client: net.wallets.client.address,
      region: 1,
      prepayment: 1_000n,
      prices: PRICES,
    });
    const context = {
      chainId: net.domain.chainId,
      contract: net.mu.marketplace,
      client: created.client,
      provider: created.provider,
    };
    expect(decryptJobSpec(created.encryptedSpec, net.encryptionKey.privateKey, context)).toEqual(sampleSpec);
    const updated = events[2]!;
    if (updated.type !== 'JobUpdated') throw new Error('expected JobUpdated');
    expect(
      decryptJobSpec(updated.encryptedSpec, net.encryptionKey.privateKey, { ...context, client: updated.client }),
    ).toEqual(sampleSpec);
    expect(decryptJobEventSpec(updated, net.encryptionKey.privateKey, net.domain)).toEqual(sampleSpec);
    expect(() => decryptJobEventSpec(updated, generateEncryptionKey().privateKey, net.domain)).toThrow(DecryptionError);
  });

  it('resumes after a cursor without repeating any event', async () => {
    const all = await collect({});
    const resumed = await collect({ after: all[1]!.cursor });
    expect(resumed.map((event) => event.cursor)).toEqual(all.slice(2).map((event) => event.cursor));
  });

  it('resumes from a block after the job was created and still knows its parties', async () => {
    const all = await collect({});
    const resumed = await collect({ fromBlock: all[2]!.blockNumber });
    expect(resumed.map((event) => event.type)).toEqual(['JobUpdated', 'JobExhausted', 'JobCancelled']);
    expect(resumed[0]).toMatchObject({
      jobId,
      client: net.wallets.client.address,
      provider: net.wallets.provider.address,
    });
  });

  it('reads in ranges of maxBlockRange blocks with the same result', async () => {
    expect((await collect({ maxBlockRange: 1 })).map((event) => event.cursor)).toEqual(
      (await collect({})).map((event) => event.cursor),
    );
  });

  it('follows new jobs live and holds events back until they have enough confirmations', async () => {
    const controller = new AbortController();
    const iterator = watchJobs(net.client, {
      provider: net.wallets.provider.address,
      region: 1,
      fromBlock: lastBlock + 1,
      confirmations: 2,
      pollingIntervalMs: 5,
      signal: controller.signal,
    });
    // The heads the watcher reads: a second read at or past the job's block means it went round its loop
    // once without delivering (a delivered event suspends the generator until the next `next()`).
    const provider = net.client.provider;
    const readHead = provider.getBlockNumber.bind(provider);
    const heads: number[] = [];
    const spy = vi.spyOn(provider, 'getBlockNumber').mockImplementation(async () => {
      const head = await readHead();
      heads.push(head);
      return head;
    });
    const next = iterator.next();
    let delivered = false;
    void next.then(() => {
      delivered = true;
    });
    try {
      const { jobId: liveJob, receipt } = await createJob(net.client, {
        provider: net.wallets.provider.address,
        region: 1,
        encryptedSpec: net.envelope(),
        prepayment: 1n,
      });
      await waitUntil(
        () => heads.filter((head) => head >= receipt.blockNumber).length >= 2,
        'the watcher polled twice past the job block',
      );
      expect(delivered).toBe(false);
      await net.anvil.mine(2);
      const { value } = await next;
      expect(value).toMatchObject({ type: 'JobCreated', jobId: liveJob });
    } finally {
      spy.mockRestore();
    }
    controller.abort();
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('checks its options before reading the chain', async () => {
    await expect(watchJobs(net.client, { provider: '0x1', region: 1 }).next()).rejects.toThrow(TypeError);
    await expect(
      watchJobs(net.client, { provider: net.wallets.provider.address, region: 1, after: 'x' }).next(),
    ).rejects.toThrow(TypeError);
    await expect(
      watchJobs(net.client, { provider: net.wallets.provider.address, region: 2 ** 32 }).next(),
    ).rejects.toThrow(RangeError);
  });

  // Last: it rewinds the chain.
  it('throws ChainReorganizedError when a delivered event is no longer in the chain', async () => {
    const snapshot = await net.anvil.provider.send('evm_snapshot', []);
    const fromBlock = (await net.anvil.provider.getBlockNumber()) + 1;
    const iterator = watchJobs(net.client, {
      provider: net.wallets.provider.address,
      region: 1,
      fromBlock,
      pollingIntervalMs: 5,
    });
    const next = iterator.next();
    await createJob(net.client, {
      provider: net.wallets.provider.address,
      region: 1,
      encryptedSpec: net.envelope(),
      prepayment: 1n,
    });
    expect((await next).value).toMatchObject({ type: 'JobCreated', blockNumber: fromBlock });
    await net.anvil.provider.send('evm_revert', [snapshot]);
    await net.anvil.mine(3);
    const error = await iterator.next().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ChainReorganizedError);
    expect(error).toMatchObject({ code: 'WATCH_REORGANIZED', blockNumber: fromBlock });
  });
});
