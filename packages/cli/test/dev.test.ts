import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '@mu/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMuJson, spawnMu, waitForOutput } from './helpers/cli.js';

let root: string;
let app: string;
const running = new Set<ChildProcess>();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mu-cli-dev-'));
  await runMuJson(['new', 'counter', '--template', 'kv'], { cwd: root });
  app = join(root, 'counter');
});
afterAll(async () => {
  for (const child of running) if (child.exitCode === null) process.kill(child.pid!, 'SIGKILL');
  await rm(root, { recursive: true, force: true });
});

interface Dev {
  child: ChildProcess;
  url: string;
  /** Everything written to stderr so far. */
  log(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<number | null>;
}

async function startDev(args: string[]): Promise<Dev> {
  const child = spawnMu(['dev', '--port', '0', ...args], { cwd: app });
  running.add(child);
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stdout!.resume();
  const waitFor = async (pattern: RegExp, timeoutMs?: number) => {
    await waitForOutput(child, () => output, pattern, timeoutMs);
  };
  const url = (await waitForOutput(child, () => output, /serving counter at (http:\/\/127\.0\.0\.1:\d+\/)/))[1]!;
  return {
    child,
    url,
    log: () => output,
    waitFor,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', (code) => {
          running.delete(child);
          resolve(code);
        });
        process.kill(child.pid!, 'SIGTERM');
      }),
  };
}

describe('mu dev', () => {
  it('serves the app through the gateway and runtime, logs each request, and picks up a change to the source', async () => {
    const dev = await startDev([]);
    try {
      expect(await (await fetch(`${dev.url}count`)).json()).toEqual({ count: 1 });
      expect(await (await fetch(`${dev.url}count`)).json()).toEqual({ count: 2 });
      const put = await fetch(`${dev.url}items/greeting`, { method: 'PUT', body: 'héllo' });
      expect(await put.json()).toEqual({ stored: 'greeting', bytes: 6 });
      expect(await (await fetch(`${dev.url}items/greeting`)).json()).toEqual({ key: 'greeting', value: 'héllo' });
      await dev.waitFor(/GET \/items\/greeting 200 [\d.]+ ms cpu [\d.]+ ms mem [\d.]+ MiB kv 1r\/0w/);
      expect(dev.log()).toMatch(/GET \/count 200 [\d.]+ ms cpu [\d.]+ ms mem [\d.]+ MiB kv \d+r\/1w out 11 B/);

      const source = join(app, 'src/app.js');
      await writeFile(source, (await readFile(source, 'utf8')).replace('{ count: Number', '{ visits: Number'));
      await dev.waitFor(/changed, rebuilding…\nmu dev: built src\/app\.js in [\d.]+ s/);
      const visits = await waitUntil(
        async () => ((await (await fetch(`${dev.url}count`)).json()) as { visits?: number }).visits,
        'the rebuilt app answers with visits',
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      // MuDB survives the rebuild: the counter goes on from 2.
      expect(visits).toBeGreaterThanOrEqual(3);

      // A broken edit keeps the last good build serving.
      await writeFile(source, 'export function handle( {\n');
      await dev.waitFor(/build failed, still serving the last good build\. CLI_BUILD_SYNTAX/);
      expect((await fetch(`${dev.url}count`)).status).toBe(200);
    } finally {
      expect(await dev.stop()).toBe(0);
    }
  });

  it('keeps MuDB across restarts with --data', async () => {
    await rm(app, { recursive: true, force: true });
    await runMuJson(['new', 'counter', '--template', 'kv'], { cwd: root });
    const data = join(root, 'data');
    const first = await startDev(['--data', data, '--no-watch']);
    try {
      expect(await (await fetch(`${first.url}count`)).json()).toEqual({ count: 1 });
    } finally {
      await first.stop();
    }
    const second = await startDev(['--data', data, '--no-watch']);
    try {
      expect(second.log()).toContain(`MuDB in ${data}`);
      expect(await (await fetch(`${second.url}count`)).json()).toEqual({ count: 2 });
    } finally {
      await second.stop();
    }
  });
});
