import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startNodes } from '../src/node-processes.js';
import { freePort, type ManagedProcess } from '../src/processes.js';

describe('choosing ports before the nodes start', () => {
  it.skipIf(process.platform !== 'linux')(
    'takes free, distinct ports outside the kernel ephemeral range, so no listen(0) or outgoing connection can take them',
    async () => {
      const [first, last] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
        .trim()
        .split(/\s+/)
        .map(Number);
      const taken = new Set<number>();
      for (let i = 0; i < 20; i++) {
        const port = await freePort(taken);
        expect(taken.has(port)).toBe(false);
        expect(port < first! || port > last!).toBe(true);
        expect(port).toBeGreaterThanOrEqual(1_024);
        taken.add(port);
      }
      const server = createServer();
      await new Promise<void>((resolve) => server.listen([...taken][0], '127.0.0.1', resolve));
      await new Promise((resolve) => server.close(resolve));
    },
  );

  it('starts again on new ports when a port was taken meanwhile, and stops the nodes that had started', async () => {
    const stopped: string[] = [];
    let configsWritten = 0;
    const fakeProcess = (name: string) =>
      ({ name, stop: async () => void stopped.push(name) }) as unknown as ManagedProcess;
    const started = await startNodes(
      3,
      async (index) => {
        if (configsWritten === 1 && index === 1) {
          throw new Error('node-2 exited (1) before it was ready:\nlisten EADDRINUSE: address already in use');
        }
        return fakeProcess(`node-${index + 1}@${configsWritten}`);
      },
      async () => void configsWritten++,
      () => {},
    );
    expect(configsWritten).toBe(2);
    expect(started.map((process) => process.name)).toEqual(['node-1@2', 'node-2@2', 'node-3@2']);
    expect(stopped.sort()).toEqual(['node-1@1', 'node-3@1']);
  });

  it('gives up after three tries, and at once on any other failure', async () => {
    let tries = 0;
    await expect(
      startNodes(
        2,
        async () => {
          throw new Error('listen EADDRINUSE');
        },
        async () => void tries++,
        () => {},
      ),
    ).rejects.toThrow('EADDRINUSE');
    expect(tries).toBe(3);
    tries = 0;
    await expect(
      startNodes(
        2,
        async () => {
          throw new Error('NODE_CONFIG_INVALID');
        },
        async () => void tries++,
        () => {},
      ),
    ).rejects.toThrow('NODE_CONFIG_INVALID');
    expect(tries).toBe(1);
  });
});
