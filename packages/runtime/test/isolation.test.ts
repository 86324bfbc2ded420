import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '@mu/test-kit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRuntime, type JobLogEntry, type Runtime } from '../src/index.js';
import { buildFixture } from './helpers/fixtures.js';

let cacheDir: string;
let runtime: Runtime;
const logs: JobLogEntry[] = [];

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'mu-runtime-isolation-'));
  runtime = await createRuntime({ workers: 2, cacheDir, onLog: (entry) => logs.push(entry) });
  const [hello, loop, bomb, trap, huge] = await Promise.all(
    (['hello', 'loop', 'memory-bomb', 'trap', 'huge'] as const).map((name) => buildFixture(name)),
  );
  await runtime.register('hello', { component: hello!.bytes, limits: { maxBodyBytes: 1024 } });
  await runtime.register('loop', { component: loop!.bytes, limits: { timeoutMs: 200 } });
  await runtime.register('bomb', { component: bomb!.bytes, limits: { memoryMb: 48 } });
  await runtime.register('trap', { component: trap!.bytes });
  await runtime.register('huge', { component: huge!.bytes, limits: { maxResponseBytes: 1 << 20 } });
});

afterAll(async () => {
  await runtime.close();
  await rm(cacheDir, { recursive: true, force: true });
});

const get = (jobId: string, path = '/') => runtime.fetch(jobId, new Request(`http://${jobId}.local${path}`));

async function errorOf(response: Response): Promise<{ code: string; message: string; id: string }> {
  const body = (await response.json()) as { error: { code: string; message: string; id: string } };
  return body.error;
}

describe('a request past its deadline', () => {
  test('answers a typed timeout, replaces the worker, and other apps keep serving', async () => {
    const replaced = runtime.stats().workersReplaced;
    const looping = get('loop');
    const meanwhile = await get('hello', '/during');
    expect(await meanwhile.text()).toBe('hello GET /during 0');
    const response = await looping;
    expect(response.status).toBe(504);
    expect(response.headers.get('mu-error')).toBe('RUNTIME_TIMEOUT');
    expect((await errorOf(response)).code).toBe('RUNTIME_TIMEOUT');
    expect(runtime.stats().workersReplaced).toBe(replaced + 1);
    expect(await (await get('hello', '/after')).text()).toBe('hello GET /after 0');
  });
});

describe('memory cap', () => {
  test('a guest that exhausts its memory fails that request cleanly, and the app recovers', async () => {
    const response = await get('bomb', '/grow');
    expect(response.status).toBe(500);
    const error = await errorOf(response);
    expect(error.code).toBe('RUNTIME_MEMORY_LIMIT');
    expect(await (await get('bomb', '/small')).text()).toBe('small ok');
    const usage = runtime.takeUsage().get('bomb')!;
    expect(usage.memoryHighWaterBytes).toBeGreaterThan(0);
    expect(usage.memoryHighWaterBytes).toBeLessThanOrEqual(48 * 2 ** 20);
  });
});

describe('a trap', () => {
  test('answers 500 with an error id and discards the instance', async () => {
    expect(await (await get('trap', '/a')).text()).toBe('count 1');
    expect(await (await get('trap', '/b')).text()).toBe('count 2');
    const response = await get('trap', '/trap');
    expect(response.status).toBe(500);
    const error = await errorOf(response);
    expect(error.code).toBe('RUNTIME_TRAP');
    expect(error.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('mu-request-id')).toBe(error.id);
    // the guest's panic message reached the job's log under the same id
    expect(logs.some((entry) => entry.requestId === error.id && /boom on purpose/.test(entry.message))).toBe(true);
    // a fresh instance: the global counter starts again
    expect(await (await get('trap', '/c')).text()).toBe('count 1');
  });
});

describe('body limits', () => {
  test('a response larger than the limit answers 502, smaller ones pass', async () => {
    const small = await get('huge', '/1000');
    expect((await small.arrayBuffer()).byteLength).toBe(1000);
    const big = await get('huge', `/${2 << 20}`);
    expect(big.status).toBe(502);
    expect((await errorOf(big)).code).toBe('RUNTIME_RESPONSE_TOO_LARGE');
  });

  test('a request body larger than the limit answers 413 without reaching the guest', async () => {
    const response = await runtime.fetch(
      'hello',
      new Request('http://hello.local/', { method: 'POST', body: new Uint8Array(2048) }),
    );
    expect(response.status).toBe(413);
    expect((await errorOf(response)).code).toBe('RUNTIME_REQUEST_TOO_LARGE');
    const fits = await runtime.fetch('hello', new Request('http://hello.local/', { method: 'POST', body: 'abc' }));
    expect(await fits.text()).toBe('hello POST / 3');
  });
});

describe('many apps at once', () => {
  test('200 concurrent requests across 5 apps with one looping app: every other request answers correctly', async () => {
    const kv = await buildFixture('kv');
    await runtime.register('kv-crowd', { component: kv.bytes });
    const requests: Promise<{ app: string; status: number; text: string }>[] = [];
    for (let i = 0; i < 200; i++) {
      const app = ['hello', 'trap', 'huge', 'kv-crowd', 'loop'][i % 5]!;
      const path = app === 'huge' ? '/64' : app === 'kv-crowd' ? '/incr/crowd' : `/r${i}`;
      requests.push(
        get(app, path).then(async (response) => ({ app, status: response.status, text: await response.text() })),
      );
    }
    const results = await Promise.all(requests);
    for (const [i, result] of results.entries()) {
      if (result.app === 'loop') {
        expect(result.status).toBe(504);
        continue;
      }
      expect(result.status, `${result.app} #${i}: ${result.text}`).toBe(200);
      if (result.app === 'hello') expect(result.text).toBe(`hello GET /r${i} 0`);
      if (result.app === 'trap') expect(result.text).toMatch(/^count \d+$/);
      if (result.app === 'huge') expect(result.text).toBe('x'.repeat(64));
    }
    const counts = results
      .filter((result) => result.app === 'kv-crowd')
      .map((result) => (JSON.parse(result.text) as { value: number }).value)
      .sort((a, b) => a - b);
    expect(counts).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });
});

describe('update', () => {
  test('requests accepted before an update finish on the old version', async () => {
    const hello = await buildFixture('hello');
    const single = await createRuntime({ workers: 1, cacheDir });
    try {
      const loop = await buildFixture('loop');
      await single.register('busy', { component: loop.bytes, limits: { timeoutMs: 400 } });
      await single.register('app', { component: hello.bytes, env: { GREETING: 'old' } });
      await single.fetch('app', new Request('http://app.local/warm'));
      const blocker = single.fetch('busy', new Request('http://busy.local/'));
      await waitUntil(() => single.stats().running === 1, 'the looping request runs on the only worker');
      const accepted = single.fetch('app', new Request('http://app.local/queued'));
      await waitUntil(() => single.stats().queued === 1, 'the request waits for the worker');
      await single.update('app', { component: hello.bytes, env: { GREETING: 'new' } });
      const after = single.fetch('app', new Request('http://app.local/later'));
      expect(await (await accepted).text()).toBe('old GET /queued 0');
      expect(await (await after).text()).toBe('new GET /later 0');
      expect((await blocker).status).toBe(504);
    } finally {
      await single.close();
    }
  });
});

describe('worker recycling', () => {
  test('a worker that has loaded maxAppsPerWorker components is replaced, and apps keep answering', async () => {
    const single = await createRuntime({ workers: 1, cacheDir, maxAppsPerWorker: 2 });
    try {
      const [hello, trap] = await Promise.all([buildFixture('hello'), buildFixture('trap')]);
      await single.register('one', { component: hello.bytes });
      await single.register('two', { component: trap.bytes });
      expect(await (await single.fetch('one', new Request('http://one.local/'))).text()).toBe('hello GET / 0');
      expect(single.stats().workersReplaced).toBe(0);
      expect(await (await single.fetch('two', new Request('http://two.local/'))).text()).toBe('count 1');
      expect(single.stats().workersReplaced).toBe(1);
      expect(await (await single.fetch('one', new Request('http://one.local/again'))).text()).toBe(
        'hello GET /again 0',
      );
    } finally {
      await single.close();
    }
  });
});
