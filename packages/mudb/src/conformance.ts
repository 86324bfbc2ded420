/**
 * The MuDB conformance suite: every backend runs it unchanged with one call, as abstract-level's shared
 * tests do for level implementations. Import it from `@mu/mudb/conformance` inside a vitest test file.
 *
 * @example
 * ```ts
 * import { runMuDBConformance } from '@mu/mudb/conformance';
 * runMuDBConformance('my backend', { createBackend: () => new MyBackend() });
 * ```
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MuBackend } from './backend.js';
import { type MuDBError, NotOpenError } from './errors.js';
import { type MuDB, openMuDB } from './mudb.js';

/** What the suite needs from a backend under test. */
export interface ConformanceOptions {
  /** A fresh backend; the suite opens it through `openMuDB` and closes it when done. */
  createBackend: () => MuBackend | Promise<MuBackend>;
  /** Concurrency of the atomics tests (default 200 increments, 20 CAS workers). */
  concurrency?: { increments?: number; casWorkers?: number };
}

const text = new TextEncoder();
const untext = new TextDecoder();

let suiteCounter = 0;

/** Registers the conformance tests for one backend under `describe(name)`. */
export function runMuDBConformance(name: string, options: ConformanceOptions): void {
  describe(`MuDB conformance: ${name}`, () => {
    let db: MuDB;
    // Every test uses namespaces of its own, so backends shared between runs (a server, PostgreSQL) work too.
    const run = `${process.pid}-${Date.now().toString(36)}-${suiteCounter++}`;
    let testCounter = 0;
    const fresh = (label = 'ns') => db.namespace(`${label}-${run}-${testCounter++}`);

    beforeAll(async () => {
      db = await openMuDB({ backend: await options.createBackend() });
    });
    afterAll(async () => {
      await db?.close();
    });

    describe('store', () => {
      it('returns undefined for a key never written', async () => {
        expect(await fresh().bucket().get('missing')).toBeUndefined();
      });

      it('returns exactly the bytes that were set, and the latest of two writes', async () => {
        const bucket = fresh().bucket();
        await bucket.set('k', new Uint8Array([0, 1, 2, 255]));
        expect(await bucket.get('k')).toEqual(new Uint8Array([0, 1, 2, 255]));
        await bucket.set('k', 'second');
        expect(untext.decode(await bucket.get('k'))).toBe('second');
      });

      it('stores the empty value, distinct from absence', async () => {
        const bucket = fresh().bucket();
        await bucket.set('empty', new Uint8Array(0));
        expect(await bucket.get('empty')).toEqual(new Uint8Array(0));
        expect(await bucket.exists('empty')).toBe(true);
      });

      it('deletes a key, and deleting a missing key is not an error', async () => {
        const bucket = fresh().bucket();
        await bucket.set('k', 'v');
        expect(await bucket.exists('k')).toBe(true);
        await bucket.delete('k');
        expect(await bucket.exists('k')).toBe(false);
        expect(await bucket.get('k')).toBeUndefined();
        await expect(bucket.delete('never-there')).resolves.toBeUndefined();
      });

      it('keeps its own copy of values: later changes to the caller buffer or the returned array do not leak in', async () => {
        const bucket = fresh().bucket();
        const input = new Uint8Array([1, 2, 3]);
        await bucket.set('k', input);
        input[0] = 99;
        const first = (await bucket.get('k'))!;
        expect(first).toEqual(new Uint8Array([1, 2, 3]));
        first[1] = 99;
        expect(await bucket.get('k')).toEqual(new Uint8Array([1, 2, 3]));
      });

      it('accepts the empty key, unicode, separators and keys up to the size limit', async () => {
        const namespace = db.namespace(`limits-${run}`, { quota: { maxKeyBytes: 2000 } });
        const bucket = namespace.bucket();
        const keys = ['', '\u0000', 'a\u0000b', '\u00ff\uffff', 'ключ', '🔑/🗝', '/', 'x'.repeat(2000)];
        for (const [index, key] of keys.entries()) await bucket.set(key, `v${index}`);
        for (const [index, key] of keys.entries()) expect(untext.decode(await bucket.get(key))).toBe(`v${index}`);
        const listed = await bucket.listKeys();
        expect(listed.keys.sort()).toEqual([...keys].sort());
      });
    });

    describe('isolation', () => {
      it('no key of one namespace or bucket is reachable from another, whatever bytes names and keys hold', async () => {
        const names = ['a', 'a\u0000', 'a\u0001', 'ab', '\u0000', 'a/b', 'ä', '🙂'].map((n) => `${n}-${run}`);
        const buckets = ['default', 'b', 'b\u0000', 'bb', '\u0001'];
        const keys = ['', 'k', '\u0000k', 'k\u0000', 'default', '\u0001b'];
        const all: Array<{ namespace: string; bucket: string; key: string; value: string }> = [];
        for (const namespace of names)
          for (const bucket of buckets)
            for (const key of keys)
              all.push({ namespace, bucket, key, value: JSON.stringify([namespace, bucket, key]) });
        for (const entry of all) await db.namespace(entry.namespace).bucket(entry.bucket).set(entry.key, entry.value);
        for (const entry of all) {
          const bucket = db.namespace(entry.namespace).bucket(entry.bucket);
          expect(untext.decode(await bucket.get(entry.key))).toBe(entry.value);
        }
        for (const namespace of names) {
          for (const bucket of buckets) {
            const listed = await db.namespace(namespace).bucket(bucket).listKeys();
            expect(listed.keys.sort()).toEqual([...keys].sort());
            const entries = await db.namespace(namespace).bucket(bucket).range();
            for (const [, value] of entries)
              expect(JSON.parse(untext.decode(value)).slice(0, 2)).toEqual([namespace, bucket]);
          }
        }
        // Deleting everything in one bucket leaves every other bucket whole.
        const victim = db.namespace(names[0]!).bucket(buckets[0]!);
        await victim.deleteMany(keys);
        expect((await victim.listKeys()).keys).toEqual([]);
        expect((await db.namespace(names[1]!).bucket(buckets[0]!).listKeys()).keys.length).toBe(keys.length);
      });
    });

    describe('arguments', () => {
      it('rejects keys that are not well-formed strings with TypeError, before writing', async () => {
        const bucket = fresh().bucket();
        await expect(bucket.set(42 as unknown as string, 'v')).rejects.toThrow(TypeError);
        await expect(bucket.set('\ud800', 'v')).rejects.toThrow(TypeError);
        await expect(bucket.get(undefined as unknown as string)).rejects.toThrow(TypeError);
        await expect(bucket.set('k', 5 as unknown as string)).rejects.toThrow(TypeError);
        await expect(bucket.set('k', null as unknown as string)).rejects.toThrow(TypeError);
        await expect(bucket.increment('k', 1 as unknown as bigint)).rejects.toThrow(TypeError);
        expect((await bucket.listKeys()).keys).toEqual([]);
      });

      it('refuses keys and values over the limits with typed errors and writes nothing', async () => {
        const bucket = db.namespace(`sizes-${run}`, { quota: { maxKeyBytes: 8, maxValueBytes: 16 } }).bucket();
        await expect(bucket.set('123456789', 'v')).rejects.toMatchObject({ code: 'MUDB_KEY_TOO_LARGE' });
        await expect(bucket.set('k', 'x'.repeat(17))).rejects.toMatchObject({ code: 'MUDB_VALUE_TOO_LARGE' });
        await expect(bucket.set('ключи', 'v')).rejects.toMatchObject({ code: 'MUDB_KEY_TOO_LARGE' });
        expect((await bucket.listKeys()).keys).toEqual([]);
      });

      it('rejects bad names, limits and quotas with TypeError or RangeError', async () => {
        expect(() => db.namespace('')).toThrow(RangeError);
        expect(() => db.namespace('x'.repeat(256))).toThrow(RangeError);
        expect(() => db.namespace(`q-${run}`, { quota: { maxStoredBytes: -1 } })).toThrow(RangeError);
        expect(() => db.namespace(`q2-${run}`, { quota: { maxKeyBytes: 'big' as unknown as number } })).toThrow(
          TypeError,
        );
        await expect(fresh().bucket().listKeys({ limit: 0 })).rejects.toThrow(RangeError);
      });
    });

    describe('listing', () => {
      it('pages through keys in key order with a cursor, never repeating or skipping', async () => {
        const bucket = fresh().bucket();
        const keys = Array.from({ length: 250 }, (_, i) => `key-${String(i).padStart(3, '0')}`);
        await bucket.setMany(keys.map((key) => [key, 'v'] as const));
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await bucket.listKeys({ limit: 100, ...(cursor ? { cursor } : {}) });
          seen.push(...page.keys);
          cursor = page.cursor;
          pages++;
          // Keys written before the cursor while listing must not shift the next page.
          if (pages === 1) await bucket.set('key-000a', 'late');
        } while (cursor !== undefined);
        expect(pages).toBe(3);
        expect(seen).toEqual(keys);
      });

      it('lists by prefix, and refuses a cursor from another prefix or a forged one', async () => {
        const bucket = fresh().bucket();
        await bucket.setMany([
          ['user/1', 'a'],
          ['user/2', 'b'],
          ['user/3', 'c'],
          ['users', 'x'],
          ['item/1', 'd'],
        ]);
        const first = await bucket.listKeys({ prefix: 'user/', limit: 2 });
        expect(first.keys).toEqual(['user/1', 'user/2']);
        const second = await bucket.listKeys({ prefix: 'user/', limit: 2, cursor: first.cursor! });
        expect(second).toEqual({ keys: ['user/3'] });
        await expect(bucket.listKeys({ prefix: 'item/', cursor: first.cursor! })).rejects.toMatchObject({
          code: 'MUDB_BAD_CURSOR',
        });
        for (const forged of ['', 'garbage', 'c1.***', 'c1.__8']) {
          await expect(bucket.listKeys({ cursor: forged })).rejects.toMatchObject({ code: 'MUDB_BAD_CURSOR' });
        }
      });

      it('scans ranges with bounds, limits and in reverse', async () => {
        const bucket = fresh().bucket();
        await bucket.setMany(['a', 'b', 'c', 'd', 'e'].map((key) => [key, key.toUpperCase()] as const));
        const decode = (entries: Array<[string, Uint8Array]>) => entries.map(([k, v]) => `${k}${untext.decode(v)}`);
        expect(decode(await bucket.range({ gte: 'b', lt: 'd' }))).toEqual(['bB', 'cC']);
        expect(decode(await bucket.range({ gt: 'b', lte: 'd' }))).toEqual(['cC', 'dD']);
        expect(decode(await bucket.range({ reverse: true, limit: 2 }))).toEqual(['eE', 'dD']);
        expect(decode(await bucket.range({ gte: 'x' }))).toEqual([]);
      });
    });

    describe('batches', () => {
      it('gets, sets and deletes many keys', async () => {
        const bucket = fresh().bucket();
        await bucket.setMany([
          ['a', '1'],
          ['b', '2'],
        ]);
        const values = await bucket.getMany(['a', 'missing', 'b']);
        expect(values.map((value) => value && untext.decode(value))).toEqual(['1', undefined, '2']);
        await bucket.deleteMany(['a', 'b']);
        expect(await bucket.getMany(['a', 'b'])).toEqual([undefined, undefined]);
      });

      it('is all-or-nothing: one bad entry or a quota overrun writes none of the batch', async () => {
        const bucket = db.namespace(`batch-${run}`, { quota: { maxValueBytes: 10, maxStoredBytes: 100 } }).bucket();
        await bucket.set('keep', 'old');
        await expect(
          bucket.setMany([
            ['keep', 'new'],
            ['big', 'x'.repeat(11)],
          ]),
        ).rejects.toMatchObject({ code: 'MUDB_VALUE_TOO_LARGE' });
        const many = Array.from({ length: 20 }, (_, i) => [`k${i}`, '0123456789'] as const);
        await expect(bucket.setMany([['keep', 'new'], ...many])).rejects.toMatchObject({ code: 'MUDB_QUOTA_EXCEEDED' });
        expect(untext.decode(await bucket.get('keep'))).toBe('old');
        expect((await bucket.listKeys()).keys).toEqual(['keep']);
        await bucket.batch([
          { type: 'set', key: 'x', value: '1' },
          { type: 'delete', key: 'keep' },
        ]);
        expect((await bucket.listKeys()).keys).toEqual(['x']);
      });
    });

    describe('atomics', () => {
      it('increments a signed 64-bit counter stored as decimal text', async () => {
        const bucket = fresh().bucket();
        expect(await bucket.increment('n')).toBe(1n);
        expect(await bucket.increment('n', 41n)).toBe(42n);
        expect(await bucket.increment('n', -50n)).toBe(-8n);
        expect(untext.decode(await bucket.get('n'))).toBe('-8');
        await bucket.set('max', (2n ** 63n - 1n).toString());
        await expect(bucket.increment('max')).rejects.toMatchObject({ code: 'MUDB_COUNTER_OVERFLOW' });
        expect(untext.decode(await bucket.get('max'))).toBe((2n ** 63n - 1n).toString());
        await bucket.set('text', 'hello');
        await expect(bucket.increment('text')).rejects.toMatchObject({ code: 'MUDB_NOT_A_COUNTER' });
        expect(untext.decode(await bucket.get('text'))).toBe('hello');
      });

      it('loses no increment among many concurrent ones', async () => {
        const bucket = fresh().bucket();
        const count = options.concurrency?.increments ?? 200;
        const results = await Promise.all(Array.from({ length: count }, () => bucket.increment('hits')));
        expect(untext.decode(await bucket.get('hits'))).toBe(String(count));
        expect(new Set(results.map(String)).size).toBe(count);
      });

      it('swaps only when the current value is the expected one', async () => {
        const bucket = fresh().bucket();
        expect(await bucket.compareAndSwap('k', undefined, 'first')).toBe(true);
        expect(await bucket.compareAndSwap('k', undefined, 'again')).toBe(false);
        expect(await bucket.compareAndSwap('k', 'wrong', 'x')).toBe(false);
        expect(await bucket.compareAndSwap('k', 'first', 'second')).toBe(true);
        expect(untext.decode(await bucket.get('k'))).toBe('second');
        expect(await bucket.compareAndSwap('k', 'second', undefined)).toBe(true);
        expect(await bucket.exists('k')).toBe(false);
      });

      it('makes concurrent compare-and-swap loops converge without losing an update', async () => {
        const bucket = fresh().bucket();
        const workers = options.concurrency?.casWorkers ?? 20;
        const rounds = 10;
        await Promise.all(
          Array.from({ length: workers }, async () => {
            for (let round = 0; round < rounds; round++) {
              for (;;) {
                const current = await bucket.get('doc');
                const list = current ? (JSON.parse(untext.decode(current)) as number[]) : [];
                const next = JSON.stringify([...list, list.length]);
                if (await bucket.compareAndSwap('doc', current, next)) break;
              }
            }
          }),
        );
        const final = JSON.parse(untext.decode(await bucket.get('doc'))) as number[];
        expect(final).toEqual(Array.from({ length: workers * rounds }, (_, i) => i));
      });
    });

    describe('quotas and metering', () => {
      it('refuses a write over the stored-bytes quota and writes nothing; freeing space lets writes in again', async () => {
        const namespace = db.namespace(`quota-${run}`, { quota: { maxStoredBytes: 100 } });
        const bucket = namespace.bucket('q');
        // Stored bytes = key bytes as stored (bucket segment + key) + value bytes.
        const keyBytes = 1 + text.encode('q').length + 2;
        await bucket.set('k1', 'x'.repeat(100 - keyBytes));
        expect(await namespace.storedBytes()).toBe(100);
        const error = await bucket.set('k2', 'y').catch((e: MuDBError) => e);
        expect(error).toMatchObject({ code: 'MUDB_QUOTA_EXCEEDED' });
        expect(await bucket.get('k2')).toBeUndefined();
        await expect(bucket.increment('k3')).rejects.toMatchObject({ code: 'MUDB_QUOTA_EXCEEDED' });
        await bucket.set('k1', 'small');
        expect(await namespace.storedBytes()).toBe(keyBytes + 5);
        await bucket.set('k2', 'y');
        await bucket.delete('k1');
        expect(await namespace.storedBytes()).toBe(keyBytes + 1);
      });

      it('meters reads, writes and bytes per namespace, and takeUsage resets the counters', async () => {
        const namespace = fresh();
        const other = fresh();
        const bucket = namespace.bucket();
        await bucket.set('a', '12345');
        await bucket.get('a');
        await bucket.get('missing');
        await bucket.increment('n', 7n);
        await other.bucket().set('x', 'y');
        const usage = namespace.takeUsage();
        expect(usage.reads).toBe(3);
        expect(usage.writes).toBe(2);
        expect(usage.bytesRead).toBe(5);
        const segment = 1 + 'default'.length;
        expect(usage.bytesWritten).toBe(segment + 1 + 5 + (segment + 1 + 1));
        expect(usage.storedBytes).toBe(await namespace.storedBytes());
        const again = namespace.takeUsage();
        expect(again).toMatchObject({ reads: 0, writes: 0, bytesRead: 0, bytesWritten: 0 });
        expect(other.takeUsage().writes).toBe(1);
      });
    });

    describe('lifecycle', () => {
      it('fails every operation with MUDB_NOT_OPEN after close', async () => {
        const closing = await openMuDB({ backend: await options.createBackend() });
        const bucket = closing.namespace(`closing-${run}`).bucket();
        await bucket.set('k', 'v');
        await closing.close();
        await expect(bucket.get('k')).rejects.toBeInstanceOf(NotOpenError);
        await expect(bucket.set('k', 'v')).rejects.toMatchObject({ code: 'MUDB_NOT_OPEN' });
        await expect(bucket.increment('n')).rejects.toMatchObject({ code: 'MUDB_NOT_OPEN' });
        await expect(bucket.listKeys()).rejects.toMatchObject({ code: 'MUDB_NOT_OPEN' });
      });
    });
  });
}
