import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '@mu/test-kit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRuntime, type Runtime } from '../src/index.js';
import { buildHttpFixture } from './helpers/fixtures.js';

let cacheDir: string;
let runtime: Runtime;
let upstream: Server;
let upstreamHost: string;
const upstreamBodies: string[] = [];

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'mu-runtime-http-'));
  runtime = await createRuntime({ workers: 1, cacheDir });
  const app = await buildHttpFixture('hello');
  const proxy = await buildHttpFixture('fetch');
  const counter = await buildHttpFixture('counter');
  await runtime.register('http-counter', { component: counter.bytes });
  const stream = await buildHttpFixture('stream');
  await runtime.register('http-stream', { component: stream.bytes });
  const globals = await buildHttpFixture('globals');
  await runtime.register('http-globals', { component: globals.bytes });
  const registration = await runtime.register('http-hello', { component: app.bytes });
  expect(registration.world).toBe('wasi-http');
  upstream = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      upstreamBodies.push(body);
      response.end(`hi from upstream (${request.method} ${body})`);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamHost = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  await runtime.register('proxy-allowed', { component: proxy.bytes, allowedHosts: [upstreamHost] });
  await runtime.register('proxy-denied', { component: proxy.bytes });
}, 300_000);

afterAll(async () => {
  await runtime.close();
  await new Promise((resolve) => (upstream === undefined ? resolve(undefined) : upstream.close(resolve)));
  await rm(cacheDir, { recursive: true, force: true });
});

describe('the wasi:http/proxy world (StarlingMonkey)', () => {
  test('answers requests, one fresh instance each', async () => {
    const first = await runtime.fetch(
      'http-hello',
      new Request('http://http-hello.local/path?q=1', { method: 'POST', body: 'hello!' }),
    );
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('text/plain');
    expect(await first.text()).toBe('hello POST /path 6');
    for (let i = 0; i < 3; i++) {
      const again = await runtime.fetch('http-hello', new Request(`http://http-hello.local/n${i}`));
      expect(await again.text()).toBe(`hello GET /n${i} 0`);
    }
    const usage = runtime.takeUsage().get('http-hello')!;
    expect(usage.requests).toBe(4);
    expect(usage.errors).toBe(0);
  });

  test('guest globals never survive a request, whether the spare was ready or not', async () => {
    // back to back (the next request may wait for, or skip, the spare being made) and paced (the spare is ready)
    for (let i = 0; i < 4; i++) {
      const response = await runtime.fetch('http-globals', new Request(`http://g.local/${i}`));
      expect(await response.text()).toBe('requests 1, seen 1');
    }
    for (let i = 0; i < 3; i++) {
      await waitUntil(() => runtime.stats().sparesToMake === 0, 'the worker has made its spares');
      const response = await runtime.fetch('http-globals', new Request(`http://g.local/paced/${i}`));
      expect(await response.text()).toBe('requests 1, seen 1');
    }
    const answers = await Promise.all(
      [0, 1, 2].map(async (i) => (await runtime.fetch('http-globals', new Request(`http://g.local/c${i}`))).text()),
    );
    expect(answers).toEqual(['requests 1, seen 1', 'requests 1, seen 1', 'requests 1, seen 1']);
  });

  test('keeps `spareInstances` (default 4) fresh instances made ahead: a burst of four waits for no instantiation', async () => {
    await (await runtime.fetch('http-globals', new Request('http://g.local/first'))).text();
    // the worker refills its spares while idle
    await waitUntil(() => runtime.stats().sparesToMake === 0, 'the worker has made its spares', { timeoutMs: 30_000 });
    runtime.takeUsage();
    for (let i = 0; i < 4; i++) {
      const response = await runtime.fetch('http-globals', new Request(`http://g.local/burst/${i}`));
      expect(await response.text()).toBe('requests 1, seen 1');
    }
    expect(runtime.takeUsage().get('http-globals')).toMatchObject({ requests: 4, coldStarts: 0 });
  });

  test('with `spareInstances: 0` every request instantiates, and the option is checked', async () => {
    const lean = await createRuntime({ workers: 1, cacheDir, spareInstances: 0 });
    try {
      await lean.register('http-globals', { component: (await buildHttpFixture('globals')).bytes });
      for (let i = 0; i < 3; i++) {
        // idle time in which a worker with spares would make one: this one has none to make
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(lean.stats().sparesToMake).toBe(0);
        const response = await lean.fetch('http-globals', new Request(`http://g.local/lean/${i}`));
        expect(await response.text()).toBe('requests 1, seen 1');
      }
      expect(lean.takeUsage().get('http-globals')).toMatchObject({ requests: 3, coldStarts: 3 });
    } finally {
      await lean.close();
    }
    for (const spareInstances of [-1, 1.5, 65, Number.NaN]) {
      await expect(createRuntime({ spareInstances })).rejects.toThrow(RangeError);
    }
  });

  test('says once when an app with its spares does not fit the cache budget, and still serves it', async () => {
    const logs: string[] = [];
    const small = await createRuntime({
      workers: 1,
      cacheDir,
      cacheBudgetBytes: 40 * 2 ** 20, // the StarlingMonkey app: ~26 MB of code, 9.5 MB per instance
      onLog: (entry) => {
        if (entry.level === 'warn') logs.push(entry.message);
      },
    });
    try {
      await small.register('http-hello', { component: (await buildHttpFixture('hello')).bytes });
      for (let i = 0; i < 2; i++) {
        const response = await small.fetch('http-hello', new Request(`http://h.local/${i}`));
        expect(await response.text()).toBe(`hello GET /${i} 0`);
      }
      expect(logs).toHaveLength(1);
      expect(logs[0]).toMatch(/^not kept warm: the app needs ~\d+ bytes .* cacheBudgetBytes is 41943040/);
      expect(small.stats().cache).toMatchObject({ hits: 0, size: 0 });
    } finally {
      await small.close();
    }
  });

  test('outbound HTTP reaches only the hosts the job allows', async () => {
    const headers = { 'x-target': `http://${upstreamHost}/` };
    const allowed = await runtime.fetch('proxy-allowed', new Request('http://p.local/', { headers }));
    expect(await allowed.text()).toBe('upstream 200 hi from upstream (POST ping)');
    const before = upstreamBodies.length;
    const denied = await runtime.fetch('proxy-denied', new Request('http://p.local/', { headers }));
    expect(denied.status).toBe(502);
    expect(await denied.text()).toMatch(/^refused: /);
    expect(upstreamBodies.length).toBe(before);
  });

  test('wasi:keyvalue is bound to the job namespace in the proxy world too', async () => {
    for (let visit = 1; visit <= 3; visit++) {
      const response = await runtime.fetch('http-counter', new Request('http://c.local/'));
      expect(await response.text()).toBe(`visit ${visit}`);
    }
    expect(runtime.takeUsage().get('http-counter')).toMatchObject({ requests: 3, kvWrites: 3 });
  });

  test('streams the response body while the guest still produces it', async () => {
    const response = await runtime.fetch('http-stream', new Request('http://s.local/'));
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const first = await reader.read();
    expect(decoder.decode(first.value)).toBe('first\n');
    // the guest is still running (it pauses 1 s before its second chunk)
    expect(runtime.stats().running).toBe(1);
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += decoder.decode(chunk.value);
    expect(rest).toBe('second\n');
    expect(runtime.stats().running).toBe(0);
  });
});
