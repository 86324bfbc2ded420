import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { MemoryLevel } from 'memory-level';
import { afterAll, describe, expect, it } from 'vitest';
import { type Bucket, LevelBackend, type MuDB, openMuDB } from '../src/index.js';

const directories: string[] = [];
afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

/** Stored bytes as the definition says: bucket segment + key + value, summed over every entry. */
async function recount(bucket: Bucket, segment: number): Promise<number> {
  const entries = await bucket.range({ limit: 10_000 });
  return entries.reduce((sum, [key, value]) => sum + segment + new TextEncoder().encode(key).length + value.length, 0);
}

/** A seeded mix of sets, overwrites, deletes, batches, increments and swaps on 40 keys. */
async function churn(db: MuDB, seed: number): Promise<Bucket> {
  let state = seed;
  const random = (n: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state % n;
  };
  const bucket = db.namespace('accounting').bucket('b');
  const work: Promise<unknown>[] = [];
  for (let step = 0; step < 2000; step++) {
    const key = `k${random(40)}`;
    const value = 'x'.repeat(random(50));
    switch (random(6)) {
      case 0:
      case 1:
        work.push(bucket.set(key, value));
        break;
      case 2:
        work.push(bucket.delete(key));
        break;
      case 3:
        work.push(
          bucket
            .setMany([
              [key, value],
              [`k${random(40)}`, value],
            ])
            .catch(() => {}),
        );
        break;
      case 4:
        work.push(bucket.increment(`n${random(5)}`, BigInt(random(1000))).catch(() => {}));
        break;
      default:
        work.push(bucket.compareAndSwap(key, undefined, value));
    }
    // Let operations overlap in bursts, as concurrent requests would.
    if (work.length >= 16) await Promise.all(work.splice(0));
  }
  await Promise.all(work);
  return bucket;
}

describe('stored-bytes accounting', () => {
  const segment = 1 + 'b'.length;

  it('stays exact through a concurrent mix of every write on memory-level (size index path)', async () => {
    const db = await openMuDB({ backend: new LevelBackend(new MemoryLevel({ storeEncoding: 'view' })) });
    const bucket = await churn(db, 7);
    expect(await db.namespace('accounting').storedBytes()).toBe(await recount(bucket, segment));
    await db.close();
  });

  it('stays exact on classic-level, and is rebuilt from disk after a reopen', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'mudb-accounting-'));
    directories.push(directory);
    const first = await openMuDB({ backend: new LevelBackend(new ClassicLevel(directory)) });
    const bucket = await churn(first, 11);
    const stored = await first.namespace('accounting').storedBytes();
    expect(stored).toBe(await recount(bucket, segment));
    await first.close();
    const second = await openMuDB({ backend: new LevelBackend(new ClassicLevel(directory)) });
    expect(await second.namespace('accounting').storedBytes()).toBe(stored);
    await second.close();
  });

  it('learns the sizes of data already in a memory-level database it is given', async () => {
    const level = new MemoryLevel<Uint8Array, Uint8Array>({ storeEncoding: 'view' });
    const first = await openMuDB({ backend: new LevelBackend(level) });
    await first.namespace('accounting').bucket('b').set('old', 'x'.repeat(30));
    // A second MuDB over the same (still open) database scans the namespace on first use.
    const second = await openMuDB({ backend: new LevelBackend(level) });
    const bucket = second.namespace('accounting').bucket('b');
    await bucket.set('old', 'short');
    expect(await second.namespace('accounting').storedBytes()).toBe(segment + 3 + 5);
    await bucket.delete('old');
    expect(await second.namespace('accounting').storedBytes()).toBe(0);
  });
});
