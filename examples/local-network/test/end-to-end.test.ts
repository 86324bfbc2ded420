// The end-to-end test of issue 8: real processes on 127.0.0.1 (anvil, the MuDB server, three node processes,
// the provider's gateway), the example apps built from source, jobs created on chain by a client.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  approveToken,
  cancelJob,
  chargeFor,
  claimRefund,
  encryptJobSpec,
  getJob,
  getMarketplaceConfig,
  getProvider,
  getTokenBalance,
  type Prices,
  topUpJob,
  updateJobSpec,
} from '@mu/contract-client';
import { waitUntil } from '@mu/test-kit';
import type { Log } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Network, type NetworkJob, startNetwork } from '../src/index.js';

const PERIOD_MS = 1_500;
const PREPAYMENT = { hello: 8n, counter: 10_000_000n, todo: 10_000_000n };

let network: Network;
let pids: number[] = [];
const job = (app: NetworkJob['app']) => network.jobs.find((item) => item.app === app)!;

interface NodeStatus {
  requestsServed: number;
  usage: { pending: number; settled: number; signed: number };
}
const nodeStatus = async (nodeUrl: string) =>
  (await fetch(`${nodeUrl}/_mu/status`).then((response) => response.json())) as NodeStatus;

/** Whether the node has settled a report of `jobId` signed after `sinceMs` (the sequence is the signing time). */
async function settledReportSince(nodeId: string, jobId: bigint, sinceMs: number): Promise<boolean> {
  const names = await readdir(join(network.dataDir, nodeId, 'reports', 'settled'));
  return names.some((name) => {
    const match = /^(\d+)-(\d+)\.json$/.exec(name);
    return match !== null && BigInt(match[1]!) === jobId && Number(match[2]) > sinceMs;
  });
}

/**
 * Waits until every running node has reported and settled all the usage of the requests made so far: a probe
 * request to the otherwise unused todo job, sent to each node after that traffic, is in a settled report (the
 * period that holds it has closed, so every earlier request's usage is signed too), and no report is pending.
 */
async function allSettled(): Promise<void> {
  const probe = job('todo');
  const sentAt = Date.now();
  for (const node of network.nodes) {
    const response = await fetch(`${node.nodeUrl}/`, { headers: { 'mu-job-id': String(probe.jobId) } });
    await response.text();
  }
  await waitUntil(
    async () => {
      for (const node of network.nodes) {
        if (!(await settledReportSince(node.id, probe.jobId, sentAt))) return false;
        if ((await nodeStatus(node.nodeUrl)).usage.pending !== 0) return false;
      }
      return true;
    },
    "every node settled the probe's report and has no report pending",
    { timeoutMs: 60_000, intervalMs: 200 },
  );
}

/** `MU_E2E_VERBOSE=1` prints the figures the assertions check. */
const report = (message: string) => {
  if (process.env.MU_E2E_VERBOSE === '1') process.stdout.write(`  e2e: ${message}\n`);
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  network = await startNetwork({ periodMs: PERIOD_MS, prepayment: PREPAYMENT });
  pids = network.pids();
}, 240_000);

afterAll(async () => {
  const all = [...new Set([...pids, ...(network?.pids() ?? [])])];
  await network?.stop();
  expect(all.filter(alive)).toEqual([]);
});

describe('a local Mu network, end to end', () => {
  it('answers 200 through the gateway for a job the client created on chain', async () => {
    const response = await fetch(`${job('hello').endpoint}/you`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hello from Mu, you!\n');
  });

  it('keeps the counter state the same whichever node serves it (MuDB server)', async () => {
    for (let i = 0; i < 10; i++) {
      const response = await fetch(`${job('counter').endpoint}/shared`, { method: 'POST' });
      expect(response.status).toBe(200);
    }
    for (const node of network.nodes) {
      // straight to each node's runtime, past the gateway's affinity
      const response = await fetch(`${node.nodeUrl}/shared`, {
        headers: { 'mu-job-id': String(job('counter').jobId) },
      });
      expect(await response.json()).toEqual({ name: 'shared', value: 10 });
    }
  });

  it('loses no GET when the node serving the job is killed with SIGKILL under load', async () => {
    const endpoint = `${job('counter').endpoint}/shared`;
    // the job's home node: the one whose count moves
    const before = await Promise.all(network.nodes.map((node) => nodeStatus(node.nodeUrl)));
    for (let i = 0; i < 5; i++) await (await fetch(endpoint)).text();
    const after = await Promise.all(network.nodes.map((node) => nodeStatus(node.nodeUrl)));
    const home = after.findIndex((status, index) => status.requestsServed > before[index]!.requestsServed);
    expect(home).toBeGreaterThanOrEqual(0);

    const statuses: number[] = [];
    const failures: string[] = [];
    let running = true;
    const worker = async () => {
      while (running) {
        try {
          const response = await fetch(endpoint);
          statuses.push(response.status);
          const body = await response.text();
          if (response.status !== 200) failures.push(`${response.status} ${body}`);
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, worker));
    await waitUntil(() => statuses.length >= 50, '50 GETs answered under load before the kill', { timeoutMs: 30_000 });
    const servedBeforeKill = statuses.length;
    const survivors = network.nodes.filter((_, index) => index !== home);
    const servedByOthers = async () =>
      (await Promise.all(survivors.map((node) => nodeStatus(node.nodeUrl)))).map((status) => status.requestsServed);
    const othersAtKill = await servedByOthers();
    await network.nodes[home]!.process.kill();
    // the load goes on until another node has taken the job over (failover) and served a good share of it
    await waitUntil(
      async () =>
        statuses.length - servedBeforeKill >= 200 &&
        (await servedByOthers()).some((served, index) => served >= othersAtKill[index]! + 100),
      'another node serving the job after the kill',
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    running = false;
    await load;
    report(`home node ${network.nodes[home]!.id}; ${servedBeforeKill} GETs before SIGKILL, ${statuses.length} in all`);
    expect(failures).toEqual([]);
    expect(servedBeforeKill).toBeGreaterThan(0);
    expect(statuses.length - servedBeforeKill).toBeGreaterThan(0);
    // the crashed node comes back with the reports it had persisted, and settles them
    await network.restartNode(home);
  });

  it("pays the provider exactly the settled reports priced at the job's locked prices", async () => {
    await allSettled();
    const { client } = network.clients;
    const block = await network.anvil.provider.getBlockNumber();
    const marketplace = client.marketplace;
    const settledLogs = (await marketplace.queryFilter(marketplace.filters.UsageSettled!(), 0, block)) as Log[];
    expect(settledLogs.length).toBeGreaterThan(0);
    const exhaustedLogs = (await marketplace.queryFilter(marketplace.filters.JobExhausted!(), 0, block)) as Log[];
    const exhaustedIn = new Set(exhaustedLogs.map((log) => `${log.transactionHash}:${BigInt(log.topics[1]!)}`));
    const prices = new Map<bigint, Prices>();
    for (const item of network.jobs) prices.set(item.jobId, (await getJob(client, { jobId: item.jobId })).prices);
    const { protocolFeeBps } = await getMarketplaceConfig(client);

    // every settlement transaction: decode the packed reports it carried, price them, compare with the events
    const byTransaction = new Map<string, Log[]>();
    for (const log of settledLogs)
      byTransaction.set(log.transactionHash, [...(byTransaction.get(log.transactionHash) ?? []), log]);
    let expectedCredits = 0n;
    const chargedByJob = new Map<bigint, bigint>();
    for (const [hash, logs] of byTransaction) {
      const transaction = await network.anvil.provider.getTransaction(hash);
      const call = client.interface.parseTransaction({ data: transaction!.data })!;
      expect(call.name).toBe('settleUsage');
      const packed = Buffer.from((call.args[1] as string).slice(2), 'hex');
      expect(packed.length % 145).toBe(0);
      const reports = [];
      for (let offset = 0; offset < packed.length; offset += 145) {
        const field = (index: number) => packed.readBigUInt64BE(offset + 1 + index * 8);
        reports.push({
          jobId: field(0),
          sequence: field(1),
          requests: field(4),
          cpuMs: field(5),
          memoryMbMs: field(6),
          kvReads: field(7),
          kvWrites: field(8),
          egressBytes: field(9),
        });
      }
      expect(reports.length).toBe(logs.length);
      let total = 0n;
      for (const log of logs) {
        const event = client.interface.parseLog(log)!;
        const jobId = event.args.jobId as bigint;
        const charged = event.args.charged as bigint;
        const report = reports.find(
          (item) => item.jobId === jobId && item.sequence === (event.args.sequence as bigint),
        )!;
        expect(report).toBeDefined();
        const price = chargeFor(prices.get(jobId)!, report);
        // the report that ran a job out of escrow takes what was left; every other one its full price
        if (exhaustedIn.has(`${hash}:${jobId}`)) expect(charged).toBeLessThanOrEqual(price);
        else expect(charged).toBe(price);
        total += charged;
        chargedByJob.set(jobId, (chargedByJob.get(jobId) ?? 0n) + charged);
      }
      // one provider: one run per transaction, the protocol fee rounds down on the run's total
      expectedCredits += total - (total * BigInt(protocolFeeBps)) / 10_000n;
    }
    const credits = (await marketplace.getFunction('credits')(network.provider.address, { blockTag: block })) as bigint;
    report(
      `${settledLogs.length} reports in ${byTransaction.size} settlements; credits ${credits}, expected ${expectedCredits}; charged by job ${[...chargedByJob].join(' ')}`,
    );
    expect(credits).toBe(expectedCredits);
    expect(credits).toBeGreaterThan(0n);
    // and each job's escrow went down by exactly what it was charged
    for (const item of network.jobs) {
      const escrow = (await marketplace.getFunction('getJob')(item.jobId, { blockTag: block })).escrow as bigint;
      expect(escrow).toBe(PREPAYMENT[item.app] - (chargedByJob.get(item.jobId) ?? 0n));
    }
  });

  it('answers 402 once the escrow is used up, and serves again after a top-up', async () => {
    const endpoint = `${job('hello').endpoint}/again`;
    let status = 200;
    await waitUntil(
      async () => {
        const response = await fetch(endpoint);
        await response.text();
        status = response.status;
        return status === 402;
      },
      'the gateway answering 402',
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    expect(status).toBe(402);
    const exhausted = await getJob(network.clients.client, { jobId: job('hello').jobId });
    expect(exhausted).toMatchObject({ exhausted: true, escrow: 0n });

    await approveToken(network.clients.client, { amount: 1_000_000n });
    await topUpJob(network.clients.client, { jobId: job('hello').jobId, amount: 1_000_000n });
    await waitUntil(
      async () => {
        const response = await fetch(endpoint);
        await response.text();
        return response.status === 200;
      },
      'the job served again after the top-up',
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  });

  it('applies a spec update on every node without failing the requests in flight', async () => {
    const hello = job('hello');
    const { client } = network.clients;
    const { encryptionKey } = await getProvider(client, { provider: network.provider.address });
    const encryptedSpec = encryptJobSpec({ ...hello.spec, env: { GREETING: 'hello again' } }, encryptionKey, {
      chainId: network.chainId,
      contract: network.marketplace,
      client: network.client.address,
      provider: network.provider.address,
    });
    const failures: string[] = [];
    let running = true;
    const worker = async () => {
      while (running) {
        const response = await fetch(`${hello.endpoint}/you`);
        const text = await response.text();
        if (response.status !== 200) failures.push(`${response.status} ${text}`);
      }
    };
    const load = Promise.all(Array.from({ length: 4 }, worker));
    await updateJobSpec(client, { jobId: hello.jobId, encryptedSpec });
    await waitUntil(
      async () => {
        for (const node of network.nodes) {
          const response = await fetch(`${node.nodeUrl}/you`, { headers: { 'mu-job-id': String(hello.jobId) } });
          if ((await response.text()) !== 'hello again, you!\n') return false;
        }
        return true;
      },
      'every node answering with the updated spec',
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    running = false;
    await load;
    expect(failures).toEqual([]);
  });

  it('refunds exactly the escrow minus the charges when the client cancels', async () => {
    const { client } = network.clients;
    const counter = job('counter');
    for (let i = 0; i < 20; i++) await (await fetch(`${counter.endpoint}/last`, { method: 'POST' })).text();
    await cancelJob(client, { jobId: counter.jobId });
    await waitUntil(
      async () => {
        const response = await fetch(`${counter.endpoint}/last`);
        await response.text();
        return response.status === 410;
      },
      'the gateway answering 410 for the cancelled job',
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    // the nodes settle what they served before the cancel, inside the settlement window
    await allSettled();
    const marketplace = client.marketplace;
    const logs = (await marketplace.queryFilter(marketplace.filters.UsageSettled!(counter.jobId))) as Log[];
    const charged = logs.reduce((sum, log) => sum + (client.interface.parseLog(log)!.args.charged as bigint), 0n);
    expect(charged).toBeGreaterThan(0n);

    const window = (await getMarketplaceConfig(client)).settlementWindow;
    await network.anvil.provider.send('evm_increaseTime', [Number(window) + 1]);
    await network.anvil.provider.send('evm_mine', []);
    const before = await getTokenBalance(client, { account: network.client.address });
    await claimRefund(client, { jobId: counter.jobId });
    const after = await getTokenBalance(client, { account: network.client.address });
    report(`refund ${after - before} = prepayment ${PREPAYMENT.counter} - charged ${charged}`);
    expect(after - before).toBe(PREPAYMENT.counter - charged);
  });

  it('stops a node gracefully on SIGTERM: requests in flight finish, usage is reported and settled', async () => {
    const node = network.nodes[2]!;
    const hello = job('hello');
    const pendingDir = join(network.dataDir, node.id, 'reports', 'pending');
    const settledDir = join(network.dataDir, node.id, 'reports', 'settled');
    const settledBefore = new Set(await readdir(settledDir));
    const servedBefore = (await nodeStatus(node.nodeUrl)).requestsServed;
    // 1.5 s of guest CPU each, sent straight to this node
    const inFlight = Array.from({ length: 2 }, () =>
      fetch(`${node.nodeUrl}/late?work=1500`, { headers: { 'mu-job-id': String(hello.jobId) } }).then(
        async (response) => ({
          status: response.status,
          text: await response.text(),
        }),
      ),
    );
    // both requests are running on the node (it counts a request when it hands it to the runtime)
    await waitUntil(
      async () => (await nodeStatus(node.nodeUrl)).requestsServed >= servedBefore + 2,
      'both requests running on the node',
      { timeoutMs: 30_000 },
    );
    const exited = new Promise<number | null>((resolve) => node.process.child.once('exit', (code) => resolve(code)));
    process.kill(node.process.pid, 'SIGTERM');
    expect(await Promise.all(inFlight)).toEqual([
      { status: 200, text: 'hello again, late!\n' },
      { status: 200, text: 'hello again, late!\n' },
    ]);
    expect(await exited).toBe(0);
    // the last period was closed on the way out: its report is settled, nothing is left pending. The runtime
    // counts a request when it arrives and its CPU when it ends, so sum the reports settled since the start.
    expect((await readdir(pendingDir)).filter((name) => name.endsWith('.json'))).toEqual([]);
    const fresh = (await readdir(settledDir)).filter(
      (name) => name.startsWith(`${hello.jobId}-`) && name.endsWith('.json') && !settledBefore.has(name),
    );
    expect(fresh.length).toBeGreaterThan(0);
    let requests = 0;
    let cpuMs = 0;
    for (const name of fresh) {
      const stored = JSON.parse(await readFile(join(settledDir, name), 'utf8')) as {
        report: { cpuMs: string; requests: string };
      };
      requests += Number(stored.report.requests);
      cpuMs += Number(stored.report.cpuMs);
    }
    report(`graceful stop: ${fresh.length} new reports, ${requests} requests, ${cpuMs} ms of guest CPU`);
    expect(requests).toBeGreaterThanOrEqual(2);
    expect(cpuMs).toBeGreaterThanOrEqual(2_000);
  });
});
