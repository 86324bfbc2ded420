import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClassicLevel } from 'classic-level';
import { afterAll, describe, expect, it } from 'vitest';
import { LevelBackend, openMuDB } from '../src/index.js';

const writer = fileURLToPath(new URL('./fixtures/durable-writer.ts', import.meta.url));
const directories: string[] = [];
afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

/** Runs the writer until it has acknowledged `count` writes, kills it with SIGKILL, returns the last index. */
function writeThenKill(directory: string, durability: 'os' | 'sync', count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, directory, durability], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let acknowledged = -1;
    let buffered = '';
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => {
      errors += chunk;
    });
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) acknowledged = Number(line);
      if (acknowledged >= count - 1 && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(acknowledged);
      else reject(new Error(`writer exited without being killed: ${errors}`));
    });
  });
}

describe('durability on classic-level', () => {
  for (const durability of ['os', 'sync'] as const) {
    it(`keeps every acknowledged write after the writing process is killed with SIGKILL (durability: ${durability})`, async () => {
      const directory = mkdtempSync(join(tmpdir(), `mudb-durable-${durability}-`));
      directories.push(directory);
      const last = await writeThenKill(directory, durability, durability === 'sync' ? 150 : 600);
      expect(last).toBeGreaterThanOrEqual(durability === 'sync' ? 149 : 599);
      const db = await openMuDB({ backend: new LevelBackend(new ClassicLevel(directory)) });
      const bucket = db.namespace('durable').bucket();
      const decoder = new TextDecoder();
      for (let i = 0; i <= last; i++) {
        expect(decoder.decode(await bucket.get(`key-${i}`))).toBe(`value-${i}`);
        if (i % 10 === 9) expect(decoder.decode(await bucket.get(`batch-${i}`))).toBe(`value-${i}`);
      }
      // The stored-bytes figure is rebuilt from what is on disk.
      const stored = await db.namespace('durable').storedBytes();
      const listed = await bucket.range({ limit: 10_000 });
      const expected = listed.reduce((sum, [key, value]) => sum + 1 + 'default'.length + key.length + value.length, 0);
      expect(stored).toBe(expected);
      await db.close();
    });
  }
});
