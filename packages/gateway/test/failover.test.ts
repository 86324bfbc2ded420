import { waitUntil } from '@mu/test-kit';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, createGatewayServer, type Gateway, type GatewayOptions } from '../src/index.js';
import { type Origin, startOrigin } from './fixtures/origin.js';
import { type ChildOrigin, closeServer, listen, spawnOrigin } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(options: GatewayOptions): Promise<{ gateway: Gateway; url: string }> {
  const gateway = createGateway(options);
  const server = createGatewayServer(gateway);
  const url = await listen(server);
  cleanups.push(async () => {
    await closeServer(server);
    await gateway.close();
  });
  return { gateway, url };
}

async function origin(name: string): Promise<Origin> {
  const started = await startOrigin(name);
  cleanups.push(() => started.close());
  return started;
}

async function get(url: string, init: Parameters<typeof request>[1] = {}) {
  const response = await request(url, init);
  const text = await response.body.text();
  return { status: response.statusCode, text, node: response.statusCode === 200 ? JSON.parse(text).node : undefined };
}

/** Job ids whose home (no load) is `node`, found by asking the gateway's own strategy through real requests. */
async function jobsHomedOn(url: string, node: string, count: number): Promise<string[]> {
  const found: string[] = [];
  for (let job = 0; found.length < count && job < 500; job++) {
    if ((await get(`${url}/job-${job}/probe`)).node === node) found.push(`job-${job}`);
  }
  return found;
}

describe('failover over real HTTP', () => {
  it('loses no idempotent request when a node process is killed under load', async () => {
    const children: ChildOrigin[] = await Promise.all(['n0', 'n1', 'n2'].map((name) => spawnOrigin(name)));
    cleanups.push(async () => {
      await Promise.all(children.map((child) => child.kill()));
    });
    const { gateway, url } = await serve({
      nodes: children.map((child, index) => ({ id: `n${index}`, url: child.url })),
      resolveJob: () => ({ status: 'active' }),
      health: { intervalMs: 200, ejectAfter: 2 },
    });

    const statuses = new Map<number, number>();
    const servedBy = new Map<string, number>();
    let stop = false;
    let sent = 0;
    const methods = ['GET', 'PUT', 'DELETE', 'POST'] as const;
    const worker = async (id: number) => {
      for (let round = 0; !stop; round++) {
        const method = methods[(id + round) % methods.length]!;
        const response = await request(`${url}/job-${(id * 7 + round) % 60}/work`, {
          method,
          // POST is retried only with an Idempotency-Key; the others are idempotent by method.
          ...(method === 'POST' ? { headers: { 'idempotency-key': `${id}-${round}` }, body: 'x' } : {}),
          ...(method === 'PUT' ? { body: 'y' } : {}),
        });
        const text = await response.body.text();
        sent++;
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        if (response.statusCode === 200) {
          const node = JSON.parse(text).node as string;
          servedBy.set(node, (servedBy.get(node) ?? 0) + 1);
        }
      }
    };
    const workers = Array.from({ length: 24 }, (_, id) => worker(id));
    await waitUntil(() => sent >= 300, '300 requests were answered', { timeoutMs: 15_000 });
    const servedBeforeKill = servedBy.get('n1') ?? 0;
    await children[1]!.kill();
    const sentAtKill = sent;
    await waitUntil(() => sent >= sentAtKill + 600, '600 more requests were answered', { timeoutMs: 20_000 });
    stop = true;
    await Promise.all(workers);

    expect(servedBeforeKill).toBeGreaterThan(0);
    expect([...statuses.keys()]).toEqual([200]);
    expect(gateway.nodes().find((node) => node.id === 'n1')?.available).toBe(false);
  });

  it('times a slow node out with 504 and ejects it, then sends its jobs elsewhere', async () => {
    const [a, b] = await Promise.all([origin('a'), origin('b')]);
    const { gateway, url } = await serve({
      nodes: [
        { id: 'a', url: a.url },
        { id: 'b', url: b.url },
      ],
      resolveJob: () => ({ status: 'active' }),
      timeoutMs: 150,
      health: { intervalMs: 0, ejectAfter: 2, baseEjectionMs: 60_000 },
    });
    const homedOnA = await jobsHomedOn(url, 'a', 4);
    expect(homedOnA.length).toBe(4);
    await request(`${a.url}/mode/slow?ms=1000`).then((response) => response.body.dump());

    const answers = [];
    for (const job of homedOnA) answers.push(await get(`${url}/${job}/x`));
    expect(answers.map((answer) => answer.status)).toEqual([504, 504, 200, 200]);
    expect(answers.slice(2).map((answer) => answer.node)).toEqual(['b', 'b']);
    const status = gateway.nodes().find((node) => node.id === 'a')!;
    expect(status.available).toBe(false);
    expect(status.ejections).toBe(1);
  });

  it('ejects a node whose active health check fails and takes it back when it passes again', async () => {
    const [a, b] = await Promise.all([origin('a'), origin('b')]);
    const { gateway, url } = await serve({
      nodes: [
        { id: 'a', url: a.url },
        { id: 'b', url: b.url },
      ],
      resolveJob: () => ({ status: 'active' }),
      health: { intervalMs: 50, baseEjectionMs: 100, maxEjectionMs: 200 },
    });
    const homedOnA = await jobsHomedOn(url, 'a', 3);
    const available = () => gateway.nodes().find((node) => node.id === 'a')!.available;

    await request(`${a.url}/health/down`).then((response) => response.body.dump());
    await waitUntil(() => !available(), 'node a is ejected');
    for (const job of homedOnA) expect((await get(`${url}/${job}/x`)).node).toBe('b');

    await request(`${a.url}/health/up`).then((response) => response.body.dump());
    await waitUntil(available, 'node a is back');
    for (const job of homedOnA) expect((await get(`${url}/${job}/x`)).node).toBe('a');
  });

  it('without active checks, brings an ejected node back on probation after its back-off', async () => {
    const [a, b] = await Promise.all([origin('a'), origin('b')]);
    const { gateway, url } = await serve({
      nodes: [
        { id: 'a', url: a.url },
        { id: 'b', url: b.url },
      ],
      resolveJob: () => ({ status: 'active' }),
      timeoutMs: 100,
      health: { intervalMs: 0, ejectAfter: 1, baseEjectionMs: 150 },
    });
    const [job] = await jobsHomedOn(url, 'a', 1);
    const statusOfA = () => gateway.nodes().find((node) => node.id === 'a')!;
    await request(`${a.url}/mode/slow?ms=400`).then((response) => response.body.dump());
    expect((await get(`${url}/${job}/x`)).status).toBe(504);
    expect(statusOfA().available).toBe(false);

    // Still slow when it returns: one more failure ejects it again, for twice as long.
    await waitUntil(() => statusOfA().available, 'node a returns on probation');
    expect((await get(`${url}/${job}/x`)).status).toBe(504);
    expect(statusOfA()).toMatchObject({ available: false, ejections: 2 });

    await request(`${a.url}/mode/slow?ms=0`).then((response) => response.body.dump());
    await waitUntil(() => statusOfA().available, 'node a returns again');
    expect((await get(`${url}/${job}/x`)).node).toBe('a');
    expect(statusOfA()).toMatchObject({ available: true, ejections: 0, failures: 0 });
  });

  it('two gateway replicas send each job to the same node without sharing state', async () => {
    const origins = await Promise.all(['a', 'b', 'c', 'd'].map((name) => origin(name)));
    const options = (): GatewayOptions => ({
      // Registered in different orders: the choice must not depend on it.
      nodes: origins.map((each) => ({ id: each.name, url: each.url })),
      resolveJob: () => ({ status: 'active' }),
      health: { intervalMs: 0 },
    });
    const first = await serve(options());
    const second = await serve({ ...options(), nodes: [...options().nodes].reverse() });
    const served = [];
    for (let job = 0; job < 40; job++) {
      const [one, two] = [await get(`${first.url}/job-${job}/x`), await get(`${second.url}/job-${job}/x`)];
      expect(two.node).toBe(one.node);
      served.push(one.node);
    }
    expect(new Set(served).size).toBe(4);
  });

  it('ejects an in-process node whose check() fails and takes it back when it passes', async () => {
    let healthy = true;
    const { gateway } = await serve({
      nodes: [
        { id: 'local', handler: () => new Response('local'), check: () => healthy },
        { id: 'other', handler: () => new Response('other') },
      ],
      resolveJob: () => ({ status: 'active', nodes: ['local'] }),
      health: { intervalMs: 30, baseEjectionMs: 60 },
    });
    const answer = async () => (await gateway.fetch(new Request('http://gw.test/j/x'))).status;
    expect(await answer()).toBe(200);
    healthy = false;
    await waitUntil(() => !gateway.nodes()[0]!.available, 'the local node is ejected');
    expect(await answer()).toBe(503);
    healthy = true;
    await waitUntil(() => gateway.nodes()[0]!.available, 'the local node is back');
    expect(await answer()).toBe(200);
  });
});
