import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MuDB, openMuDB } from '@mu/mudb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRuntime, type Runtime } from '../src/index.js';
import { buildFixture } from './helpers/fixtures.js';

let cacheDir: string;
let db: MuDB;
let runtime: Runtime;

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'mu-runtime-kv-'));
  db = await openMuDB();
  runtime = await createRuntime({ workers: 2, cacheDir, mudb: db });
  const kv = await buildFixture('kv');
  await runtime.register('kv-a', { component: kv.bytes });
  await runtime.register('kv-b', { component: kv.bytes });
  await runtime.register('kv-small', { component: kv.bytes, kv: { quotaBytes: 64 } });
});

afterAll(async () => {
  await runtime.close();
  await db.close();
  await rm(cacheDir, { recursive: true, force: true });
});

async function call(jobId: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await runtime.fetch(jobId, new Request(`http://${jobId}.local${path}`));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('guest KV calls reach MuDB', () => {
  test('a counter increments atomically, and each job sees only its own namespace', async () => {
    expect((await call('kv-a', '/incr/hits')).body).toEqual({ value: 1 });
    expect((await call('kv-a', '/incr/hits')).body).toEqual({ value: 2 });
    expect((await call('kv-b', '/incr/hits')).body).toEqual({ value: 1 });
    const stored = await db.namespace('kv-a').bucket('default').get('hits');
    expect(new TextDecoder().decode(stored)).toBe('2');
    expect(await db.namespace('kv-b').bucket('default').get('hits')).toEqual(new TextEncoder().encode('1'));
  });

  test('set, get, exists, delete and list-keys', async () => {
    expect((await call('kv-b', '/set/greeting/h%C3%A9llo')).body).toEqual({ ok: true });
    expect((await call('kv-b', '/get/greeting')).body).toEqual({ value: 'héllo' });
    expect((await call('kv-a', '/get/greeting')).body).toEqual({ value: null });
    expect((await call('kv-b', '/exists/greeting')).body).toEqual({ exists: true });
    expect((await call('kv-b', '/list')).body).toEqual({ keys: ['greeting', 'hits'], cursor: null });
    expect((await call('kv-b', '/delete/greeting')).body).toEqual({ ok: true });
    expect((await call('kv-b', '/exists/greeting')).body).toEqual({ exists: false });
  });

  test('compare-and-swap fails when the value changed behind the handle, and succeeds on a fresh one', async () => {
    await call('kv-a', '/set/doc/v0');
    expect((await call('kv-a', '/cas/doc/v1')).body).toEqual({ before: 'v0', first: 'cas-failed', after: 'v1' });
  });

  test('batch get-many, set-many and delete-many', async () => {
    expect((await call('kv-a', '/batch')).body).toEqual({
      got: [
        ['a', '1'],
        ['b', '2'],
        ['missing', null],
      ],
      after: null,
    });
  });

  test('MuDB errors reach the guest as wasi:keyvalue errors, with the MuDB code', async () => {
    const { body } = await call('kv-small', `/set/big/${'x'.repeat(200)}`);
    expect(body.payload).toEqual({ tag: 'other', val: expect.stringMatching(/^MUDB_QUOTA_EXCEEDED/) });
  });

  test('usage carries the KV figures of the job namespace', async () => {
    runtime.takeUsage();
    await call('kv-b', '/incr/metered');
    await call('kv-b', '/get/metered');
    const usage = runtime.takeUsage().get('kv-b')!;
    expect(usage.requests).toBe(2);
    expect(usage.kvWrites).toBe(1);
    expect(usage.kvReads).toBe(2);
    expect(usage.kvBytesWritten).toBeGreaterThan(0);
    expect(runtime.takeUsage().get('kv-b')).toBeUndefined();
  });
});
