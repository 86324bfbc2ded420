import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMuDB } from '@mu/mudb';
import { waitUntil } from '@mu/test-kit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GuestPool } from '../src/host/guest-pool.js';
import { createRuntime } from '../src/index.js';
import {
  AdaptiveSpin,
  createControl,
  SPIN_EXPIRED,
  SPIN_PREEMPTED,
  SPIN_READY,
  spinFor,
} from '../src/threads/wake-channel.js';
import { buildFixture, type Fixture } from './helpers/fixtures.js';

describe('spin-then-park primitives', () => {
  test('spinFor sees a change of a counter, gives up after its budget, and never waits with a zero budget', () => {
    const control = createControl();
    const changed = () => Atomics.load(control, 0) !== 0;
    expect(spinFor(changed, 0)).toBe(SPIN_EXPIRED);
    const started = performance.now();
    const outcome = spinFor(changed, 2_000);
    expect(outcome).not.toBe(SPIN_READY);
    // a busy loop on a loaded machine may lose its core (and stop) before the budget ends
    if (outcome === SPIN_EXPIRED) expect(performance.now() - started).toBeGreaterThanOrEqual(2);
    Atomics.add(control, 0, 1);
    expect(spinFor(changed, 0)).toBe(SPIN_READY);
    expect(spinFor(changed, 1_000_000)).toBe(SPIN_READY);
  });

  test('spinFor tells a message, an expired budget and a lost core apart', () => {
    expect(spinFor(() => true, 0)).toBe(SPIN_READY);
    expect(spinFor(() => false, 0)).toBe(SPIN_EXPIRED);
    // a busy loop on a loaded machine may lose its core before the budget ends
    expect([SPIN_EXPIRED, SPIN_PREEMPTED]).toContain(spinFor(() => false, 500));
    let calls = 0;
    const stalled = () => {
      // the second look at the counters takes 0.2 ms, as if the thread had been descheduled
      if (++calls === 2) {
        const until = performance.now() + 0.2;
        while (performance.now() < until) {}
      }
      return false;
    };
    expect(spinFor(stalled, 100_000)).toBe(SPIN_PREEMPTED);
    const spin = new AdaptiveSpin(1_000);
    spin.preempted();
    expect(spin.micros).toBe(0);
    spin.arrived(30);
    expect(spin.micros).toBe(60);
  });

  test('the adaptive budget shrinks while nothing comes and grows back when messages follow closely', () => {
    const spin = new AdaptiveSpin(1_000);
    expect(spin.micros).toBe(1_000);
    for (let i = 0; i < 12; i++) spin.expired();
    expect(spin.micros).toBe(0);
    spin.arrived(5_000); // far apart: stay parked
    expect(spin.micros).toBe(0);
    spin.arrived(40); // came soon after the worker went idle: spinning would have caught it
    expect(spin.micros).toBe(80);
    spin.arrived(300);
    expect(spin.micros).toBe(600);
    spin.arrived(10);
    expect(spin.micros).toBe(1_000);
  });
});

describe.each([
  { name: 'busy-waiting (default)', spinMicros: undefined },
  { name: 'no busy-waiting', spinMicros: 0 },
  { name: 'a tiny budget (every hop parks)', spinMicros: 5 },
])('requests and KV calls with $name', ({ spinMicros }) => {
  let cacheDir: string;
  let hello: Fixture;
  let kv: Fixture;

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'mu-runtime-channel-'));
    hello = await buildFixture('hello');
    kv = await buildFixture('kv');
  });

  afterAll(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  test('concurrent requests, idle gaps and KV increments all arrive exactly once', async () => {
    const db = await openMuDB();
    const runtime = await createRuntime({
      workers: 2,
      cacheDir,
      mudb: db,
      ...(spinMicros === undefined ? {} : { spinMicros }),
    });
    try {
      await runtime.register('hello', { component: hello.bytes });
      await runtime.register('kv', { component: kv.bytes });
      const answers = await Promise.all(
        Array.from({ length: 60 }, async (_, i) => {
          const response = await runtime.fetch(
            i % 2 === 0 ? 'hello' : 'kv',
            new Request(i % 2 === 0 ? `http://hello.local/n/${i}` : 'http://kv.local/incr/hits'),
          );
          return { i, status: response.status, text: await response.text() };
        }),
      );
      for (const { i, status, text } of answers) {
        expect(status).toBe(200);
        if (i % 2 === 0) expect(text).toBe(`hello GET /n/${i} 0`);
      }
      // after an idle gap longer than any spin budget, the ports' own wake-ups deliver the next messages
      await new Promise((resolve) => setTimeout(resolve, 30));
      const after = await runtime.fetch('kv', new Request('http://kv.local/incr/hits'));
      expect(await after.json()).toEqual({ value: 31 });
      const stored = await db.namespace('kv').bucket('default').get('hits');
      expect(new TextDecoder().decode(stored)).toBe('31');
    } finally {
      await runtime.close();
      await db.close();
    }
  });
});

test('a randomized storm (4 workers, tiny budgets, main-thread stalls) loses and duplicates nothing', async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'mu-runtime-storm-'));
  const db = await openMuDB();
  const errors: string[] = [];
  const runtime = await createRuntime({
    workers: 4,
    cacheDir,
    mudb: db,
    spinMicros: 20,
    onLog: (entry) => {
      if (entry.level === 'error') errors.push(entry.message);
    },
  });
  try {
    const [hello, kv] = await Promise.all([buildFixture('hello'), buildFixture('kv')]);
    await runtime.register('hello', { component: hello.bytes });
    for (const name of ['kv-1', 'kv-2', 'kv-3']) await runtime.register(name, { component: kv.bytes });
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const increments = new Map<string, number>();
    const work = Array.from({ length: 600 }, async (_, i) => {
      if (random() < 0.2) await new Promise((resolve) => setTimeout(resolve, random() * 3));
      if (random() < 0.05) {
        const until = performance.now() + 1; // stall the main thread: workers park and must be woken
        while (performance.now() < until) {}
      }
      if (i % 3 === 0) {
        const response = await runtime.fetch('hello', new Request(`http://hello.local/storm/${i}`));
        // a failure shows the runtime's error log (a hang logs the state of the worker's channel)
        expect(await response.text(), errors.join('\n')).toBe(`hello GET /storm/${i} 0`);
        return;
      }
      const job = `kv-${1 + (Math.floor(i / 3) % 3)}`;
      increments.set(job, (increments.get(job) ?? 0) + 1);
      const response = await runtime.fetch(job, new Request('http://kv.local/incr/n'));
      expect(response.status, errors.join('\n')).toBe(200);
    });
    await Promise.all(work);
    for (const [job, count] of increments) {
      const stored = await db.namespace(job).bucket('default').get('n');
      expect(new TextDecoder().decode(stored)).toBe(String(count));
    }
  } finally {
    await runtime.close();
    await db.close();
    await rm(cacheDir, { recursive: true, force: true });
  }
});

test('a worker takes requests only once its code has loaded (a deadline never runs during its boot)', async () => {
  const ready: number[] = [];
  const pool = new GuestPool(2, 100, {
    message() {},
    hostCall() {},
    exit() {},
    ready: (worker) => ready.push(worker.index),
  });
  try {
    expect(pool.workers.map((worker) => worker.ready)).toEqual([false, false]);
    await waitUntil(() => ready.length === 2, 'both workers have booted', { timeoutMs: 20_000 });
    expect(ready.sort()).toEqual([0, 1]);
    expect(pool.workers.map((worker) => worker.ready)).toEqual([true, true]);
  } finally {
    await pool.close();
  }
});

test('createRuntime refuses a bad spinMicros', async () => {
  for (const spinMicros of [-1, Number.NaN, Number.POSITIVE_INFINITY, 2_000_000, '10' as unknown as number]) {
    await expect(createRuntime({ spinMicros })).rejects.toBeInstanceOf(RangeError);
  }
});
