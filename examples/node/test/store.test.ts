import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LevelBackend } from '@mu/mudb';
import { createMuDBServer } from '@mu/mudb/server';
import { ClassicLevel } from 'classic-level';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type MuDBLocation, openNodeStore } from '../src/index.js';

const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mu-node-store-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const postgresUrl = process.env.MU_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const postgresSchema = `node_store_${randomBytes(4).toString('hex')}`;
async function postgresUnavailable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${postgresUrl}: ${String(error)}`;
  } finally {
    await client.end().catch(() => {});
  }
}
const unavailable = await postgresUnavailable();
const requirePostgres = process.env.MU_REQUIRE_PG === '1';
afterAll(async () => {
  if (unavailable !== undefined) return;
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${postgresSchema} CASCADE`);
  await client.end();
});

/** Two increments of one key from two stores opened on the same location: exact when the location is shared. */
async function incrementTwice(open: () => Promise<MuDBLocation>): Promise<bigint[]> {
  const location = await open();
  const first = await openNodeStore(location);
  const second = location.kind === 'memory' || location.kind === 'level' ? first : await openNodeStore(location);
  try {
    const a = await first.namespace('job-1').bucket().increment('visits');
    const b = await second.namespace('job-1').bucket().increment('visits');
    return [a, b];
  } finally {
    await first.close();
    if (second !== first) await second.close();
  }
}

describe('the node opens MuDB where the config says', () => {
  it('in memory and in a LevelDB folder', async () => {
    expect(await incrementTwice(async () => ({ kind: 'memory' }))).toEqual([1n, 2n]);
    const path = join(await tempDir(), 'mudb');
    expect(await incrementTwice(async () => ({ kind: 'level', path }))).toEqual([1n, 2n]);
  });

  it('through the MuDB server, shared by two nodes', async () => {
    const secret = randomBytes(32).toString('hex');
    const server = createMuDBServer({
      backend: new LevelBackend(
        new ClassicLevel<string, Uint8Array>(join(await tempDir(), 'server'), { valueEncoding: 'view' }),
      ),
      clients: [{ id: 'node', secret, namespaces: ['job-*'] }],
    });
    const address = (await server.listen({ port: 0, host: '127.0.0.1' })) as { port: number };
    try {
      expect(
        await incrementTwice(async () => ({
          kind: 'server',
          host: '127.0.0.1',
          port: address.port,
          clientId: 'node',
          secret,
        })),
      ).toEqual([1n, 2n]);
    } finally {
      await server.close();
    }
  });

  it.skipIf(unavailable !== undefined && !requirePostgres)('in PostgreSQL, shared by two nodes', async () => {
    if (unavailable !== undefined) throw new Error(`${unavailable} (MU_REQUIRE_PG=1)`);
    expect(await incrementTwice(async () => ({ kind: 'postgres', url: postgresUrl, schema: postgresSchema }))).toEqual([
      1n,
      2n,
    ]);
  });
});
