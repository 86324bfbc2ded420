import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '@mu/test-kit';
import { MemoryLevel } from 'memory-level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMuDBConformance } from '../src/conformance.js';
import { LevelBackend, openMuDB } from '../src/index.js';
import { createMuDBServer, type MuDBServer, RemoteBackend, type ServerLogEvent } from '../src/server/index.js';

const SECRET = 'a shared secret of the provider';
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const directories: string[] = [];
const children = new Set<ChildProcess>();

function temp(label: string): string {
  const directory = mkdtempSync(join(tmpdir(), `mudb-${label}-`));
  directories.push(directory);
  return directory;
}

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

function run(script: string, args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(fixtures, script), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });
}

/** Collects a child's stdout lines and resolves `waitFor(pattern)` when one matches. */
function lines(child: ChildProcess) {
  const seen: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const line of parts) {
      seen.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.pattern.test(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  return {
    seen,
    waitFor: (pattern: RegExp) =>
      new Promise<string>((resolve) => {
        const found = seen.find((line) => pattern.test(line));
        if (found) resolve(found);
        else waiters.push({ pattern, resolve });
      }),
  };
}

describe('MuDB server, in process', () => {
  let server: MuDBServer;
  let port: number;
  const logs: ServerLogEvent[] = [];
  const socketPath = join(tmpdir(), `mudb-${process.pid}-${Date.now()}.sock`);
  let unixServer: MuDBServer;

  beforeAll(async () => {
    server = createMuDBServer({
      backend: new LevelBackend(new MemoryLevel({ storeEncoding: 'view' })),
      clients: [
        { id: 'node', secret: SECRET, namespaces: ['*'] },
        { id: 'tenant', secret: 'another secret for one tenant', namespaces: ['job-1', 'jobs-of-alice/*'] },
      ],
      frameTimeoutMs: 300,
      handshakeTimeoutMs: 500,
      onLog: (event) => logs.push(event),
    });
    const address = await server.listen({ port: 0 });
    port = 'port' in address ? address.port : 0;
    unixServer = createMuDBServer({
      backend: new LevelBackend(new MemoryLevel({ storeEncoding: 'view' })),
      clients: [{ id: 'node', secret: SECRET, namespaces: ['*'] }],
    });
    await unixServer.listen({ path: socketPath });
  });
  afterAll(async () => {
    await server?.close();
    await unixServer?.close();
  });

  runMuDBConformance('remote client over TCP', {
    createBackend: () => new RemoteBackend({ port, clientId: 'node', secret: SECRET }),
  });
  runMuDBConformance('remote client over a Unix socket', {
    createBackend: () => new RemoteBackend({ path: socketPath, clientId: 'node', secret: SECRET }),
  });

  it('refuses a wrong secret and an unknown client with MUDB_AUTH, without reconnecting', async () => {
    await expect(
      openMuDB({ backend: new RemoteBackend({ port, clientId: 'node', secret: 'not the right secret!' }) }),
    ).rejects.toMatchObject({ code: 'MUDB_AUTH' });
    await expect(
      openMuDB({ backend: new RemoteBackend({ port, clientId: 'nobody', secret: SECRET }) }),
    ).rejects.toMatchObject({ code: 'MUDB_AUTH' });
    expect(logs.some((event) => /wrong secret/.test(event.message))).toBe(true);
  });

  it('scopes a client to its namespaces', async () => {
    const db = await openMuDB({
      backend: new RemoteBackend({ port, clientId: 'tenant', secret: 'another secret for one tenant' }),
    });
    await db.namespace('job-1').bucket().set('k', 'v');
    await db.namespace('jobs-of-alice/7').bucket().set('k', 'v');
    await expect(db.namespace('job-2').bucket().get('k')).rejects.toMatchObject({ code: 'MUDB_FORBIDDEN' });
    await expect(db.namespace('job-10').bucket().set('k', 'v')).rejects.toMatchObject({ code: 'MUDB_FORBIDDEN' });
    await db.close();
  });

  it('closes a connection that announces more than a few KiB before it authenticates, and takes big frames after', async () => {
    const logged = logs.length;
    const socket = connect({ port, host: '127.0.0.1' });
    socket.on('error', () => {});
    socket.resume();
    // 1 MiB announced: far under the 64 MiB limit of an authenticated client, far over the AUTH frame's size.
    socket.write(new Uint8Array([0x00, 0x10, 0x00, 0x00, 1]));
    await new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.on('close', () => resolve())));
    expect(logs.slice(logged).map((event) => event.message)).toContain(
      'closing connection: MuDB protocol violation: a frame of 1048576 bytes, over the limit of 4096.',
    );
    const honest = await openMuDB({ backend: new RemoteBackend({ port, clientId: 'node', secret: SECRET }) });
    const value = new Uint8Array(256 * 1024).fill(7);
    await honest.namespace('big').bucket().set('k', value);
    expect(await honest.namespace('big').bucket().get('k')).toEqual(value);
    await honest.close();
  });

  it('keeps serving honest clients while hostile ones send garbage, huge frames, drip bytes or bad secrets', async () => {
    const honest = await openMuDB({ backend: new RemoteBackend({ port, clientId: 'node', secret: SECRET }) });
    const bucket = honest.namespace('honest').bucket();
    const raw = (bytes: Uint8Array) =>
      new Promise<Socket>((resolve) => {
        const socket: Socket = connect({ port, host: '127.0.0.1' }, () => {
          socket.write(bytes);
          resolve(socket);
        });
        socket.on('error', () => {});
        // Flowing, so the server's close reaches us as 'close'.
        socket.resume();
      });
    const closed = (socket: Socket) =>
      new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.on('close', () => resolve())));
    const garbage = await raw(new Uint8Array(64).fill(0xaa));
    const huge = await raw(new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 1]));
    const drip = await raw(new Uint8Array([0, 0, 0, 40, 2]));
    const silent = await raw(new Uint8Array(0));
    const writes = Array.from({ length: 200 }, (_, i) => bucket.set(`k${i}`, `v${i}`));
    await Promise.all(writes);
    await Promise.all([closed(garbage), closed(huge), closed(drip), closed(silent)]);
    expect((await bucket.listKeys()).keys.length).toBe(200);
    expect(await bucket.increment('still-serving')).toBe(1n);
    const reasons = logs.map((event) => event.message).join('\n');
    expect(reasons).toMatch(/over the limit/);
    expect(reasons).toMatch(/did not arrive in time|no authentication in time/);
    await honest.close();
  });
});

describe('MuDB server under a crowd of strangers', () => {
  it('keeps serving a node while more strangers than the cap sit idle, and logs only a few lines about them', async () => {
    const logs: ServerLogEvent[] = [];
    const server = createMuDBServer({
      backend: new LevelBackend(new MemoryLevel({ storeEncoding: 'view' })),
      clients: [{ id: 'node', secret: SECRET, namespaces: ['*'] }],
      maxConnections: 40,
      maxUnauthenticatedConnections: 8,
      strangerLogLinesPerSecond: 3,
      handshakeTimeoutMs: 60_000,
      onLog: (event) => logs.push(event),
    });
    const address = await server.listen({ port: 0 });
    const port = 'port' in address ? address.port : 0;
    const strangers: Socket[] = [];
    const started = Date.now();
    try {
      // 30 idle strangers: without a share of their own they would hold 30 of the 40 slots for a whole minute.
      for (let i = 0; i < 30; i++) {
        const socket = connect({ port, host: '127.0.0.1' });
        socket.on('error', () => {});
        socket.resume();
        strangers.push(socket);
      }
      await waitUntil(() => strangers.filter((socket) => socket.destroyed).length === 22, '22 strangers closed');
      expect(server.connections).toBe(8);
      // One after another: 20 nodes arriving at once would push each other out of the 8 places (they reconnect).
      const nodes = [];
      for (let i = 0; i < 20; i++) {
        nodes.push(await openMuDB({ backend: new RemoteBackend({ port, clientId: 'node', secret: SECRET }) }));
      }
      expect(await nodes[0]!.namespace('n').bucket().increment('k')).toBe(1n);
      expect(await nodes[19]!.namespace('n').bucket().increment('k')).toBe(2n);
      // Each node's connection pushed out an idle stranger while it authenticated.
      expect(server.connections).toBeLessThanOrEqual(28);
      expect(server.connections).toBeGreaterThanOrEqual(20);
      // 42 connections were closed while authenticating; at most 3 lines a second (and a count) are about them.
      const seconds = Math.ceil((Date.now() - started) / 1000) + 1;
      const aboutStrangers = logs.filter((event) => event.level === 'warn');
      expect(aboutStrangers.length).toBeLessThanOrEqual(4 * seconds);
      expect(aboutStrangers.length).toBeLessThan(42);
      await Promise.all(nodes.map((db) => db.close()));
    } finally {
      for (const socket of strangers) socket.destroy();
      await server.close();
    }
  });
});

describe('MuDB server shared by processes', () => {
  let server: MuDBServer;
  let port: number;

  beforeAll(async () => {
    server = createMuDBServer({
      backend: new LevelBackend(new MemoryLevel({ storeEncoding: 'view' })),
      clients: [{ id: 'worker', secret: SECRET, namespaces: ['shared'] }],
    });
    const address = await server.listen({ port: 0 });
    port = 'port' in address ? address.port : 0;
  });
  afterAll(() => server?.close());

  it('counts exactly 3,000 when three processes increment the same key 1,000 times each', async () => {
    const workers = [0, 1, 2].map((i) => run('remote-worker.ts', [String(port), SECRET, 'increment', '1000', `w${i}`]));
    expect(await Promise.all(workers.map(exited))).toEqual([0, 0, 0]);
    const db = await openMuDB({ backend: new RemoteBackend({ port, clientId: 'worker', secret: SECRET }) });
    expect(new TextDecoder().decode(await db.namespace('shared').bucket().get('counter'))).toBe('3000');
    await db.close();
  });

  it('makes compare-and-swap loops from three processes converge with no lost update', async () => {
    const workers = [0, 1, 2].map((i) => run('remote-worker.ts', [String(port), SECRET, 'cas', '40', `w${i}`]));
    expect(await Promise.all(workers.map(exited))).toEqual([0, 0, 0]);
    const db = await openMuDB({ backend: new RemoteBackend({ port, clientId: 'worker', secret: SECRET }) });
    const list = JSON.parse(new TextDecoder().decode(await db.namespace('shared').bucket().get('list'))) as string[];
    expect(list.length).toBe(120);
    for (const tag of ['w0', 'w1', 'w2']) {
      expect(list.filter((item) => item.startsWith(`${tag}-`))).toEqual(
        Array.from({ length: 40 }, (_, i) => `${tag}-${i}`),
      );
    }
    await db.close();
  });
});

describe('MuDB server killed mid-load', () => {
  it('keeps every acknowledged write across a SIGKILL and restart; writes in flight fail, never apply twice', async () => {
    const directory = temp('server-kill');
    const first = run('server-process.ts', [directory, '0', SECRET]);
    const port = Number((await lines(first).waitFor(/^listening/)).split(' ')[1]);
    const writer = run('remote-worker.ts', [String(port), SECRET, 'write', '0', 'writer']);
    const output = lines(writer);
    await output.waitFor(/^ack 300$/);

    first.kill('SIGKILL');
    await exited(first);
    await output.waitFor(/^fail /);

    const second = run('server-process.ts', [directory, String(port), SECRET]);
    await lines(second).waitFor(/^listening/);
    // The writer reconnects by itself and goes on writing.
    const lastBefore = Math.max(
      ...output.seen.filter((line) => line.startsWith('ack')).map((line) => Number(line.split(' ')[1])),
    );
    await output.waitFor(new RegExp(`^ack ${lastBefore + 50}$`));
    writer.kill('SIGKILL');
    await exited(writer);

    const acknowledged = output.seen
      .filter((line) => line.startsWith('ack '))
      .map((line) => Number(line.split(' ')[1]));
    const failed = output.seen.filter((line) => line.startsWith('fail ')).map((line) => line.split(' ')[2]);
    expect(failed.every((code) => code === 'MUDB_CONNECTION_LOST' || code === 'MUDB_CONNECTION')).toBe(true);
    const db = await openMuDB({ backend: new RemoteBackend({ port, clientId: 'worker', secret: SECRET }) });
    const bucket = db.namespace('shared').bucket();
    const values = await bucket.getMany(acknowledged.map((i) => `key-${i}`));
    const decoder = new TextDecoder();
    for (const [index, value] of values.entries()) expect(decoder.decode(value)).toBe(`value-${acknowledged[index]}`);
    await db.close();
    second.kill('SIGTERM');
    expect(await exited(second)).toBe(0);
  });
});

describe('mudb-server command', () => {
  const cli = fileURLToPath(new URL('../src/server/cli.ts', import.meta.url));
  const start = (args: string[], env: Record<string, string> = {}) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    children.add(child);
    child.on('exit', () => children.delete(child));
    let errors = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      errors += chunk;
    });
    return { child, errors: () => errors };
  };

  it('serves a LevelDB store to clients holding the secret, and stops cleanly on SIGTERM', async () => {
    const { child } = start(['--data', temp('cli'), '--port', '0', '--secret-env', 'MUDB_TEST_SECRET'], {
      MUDB_TEST_SECRET: SECRET,
    });
    const line = await lines(child).waitFor(/listening/);
    const { listening } = JSON.parse(line) as { listening: { port: number } };
    const db = await openMuDB({
      backend: new RemoteBackend({ port: listening.port, clientId: 'node', secret: SECRET }),
    });
    expect(await db.namespace('cli').bucket().increment('n', 5n)).toBe(5n);
    await db.close();
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });

  it('exits with code 2 and names the problem on bad configuration', async () => {
    const missing = start(['--port', '0']);
    expect(await exited(missing.child)).toBe(2);
    expect(missing.errors()).toMatch(/--data is required/);
    const noSecret = start(['--data', temp('cli-bad'), '--port', '0', '--secret-env', 'MUDB_UNSET_VARIABLE']);
    expect(await exited(noSecret.child)).toBe(2);
    expect(noSecret.errors()).toMatch(/MUDB_UNSET_VARIABLE is empty/);
    const shortSecret = start(['--data', temp('cli-short'), '--port', '0', '--secret-env', 'SHORT'], {
      SHORT: 'short',
    });
    expect(await exited(shortSecret.child)).toBe(2);
    expect(shortSecret.errors()).toMatch(/at least 16 bytes/);
  });
});
