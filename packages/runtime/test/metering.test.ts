import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRuntime, type Receipt, type Runtime } from '../src/index.js';
import { buildFixture } from './helpers/fixtures.js';

let cacheDir: string;
let runtime: Runtime;
const receipts: Receipt[] = [];

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'mu-runtime-metering-'));
  runtime = await createRuntime({
    workers: 1,
    cacheDir,
    signReceipt: async (receipt) => {
      receipts.push(receipt);
      return `signed:${receipt.jobId}:${receipt.requestId}:${receipt.status}:${receipt.bytesOut}`;
    },
  });
  const hello = await buildFixture('hello');
  await runtime.register('metered', { component: hello.bytes });
});

afterAll(async () => {
  await runtime.close();
  await rm(cacheDir, { recursive: true, force: true });
});

describe('metering', () => {
  test('takeUsage returns what each job used, then resets', async () => {
    runtime.takeUsage();
    const first = await runtime.fetch('metered', new Request('http://m.local/a', { method: 'POST', body: '12345' }));
    const firstText = await first.text();
    const second = await runtime.fetch('metered', new Request('http://m.local/bb'));
    const secondText = await second.text();
    const usage = runtime.takeUsage().get('metered')!;
    expect(usage.requests).toBe(2);
    expect(usage.errors).toBe(0);
    expect(usage.bytesIn).toBe(5);
    expect(usage.bytesOut).toBe(firstText.length + secondText.length);
    expect(usage.wallMs).toBeGreaterThan(0);
    expect(usage.cpuMs).toBeGreaterThan(0);
    expect(usage.cpuMs).toBeLessThanOrEqual(usage.wallMs);
    expect(usage.memoryHighWaterBytes).toBeGreaterThan(65_536);
    expect(usage.memoryMbMs).toBeGreaterThan(0);
    expect(usage.coldStarts).toBe(1);
    expect(runtime.takeUsage().size).toBe(0);
  });

  test('an injected signer adds a receipt header to each response', async () => {
    const response = await runtime.fetch('metered', new Request('http://m.local/receipt'));
    const body = await response.text();
    const receipt = receipts.at(-1)!;
    expect(receipt).toMatchObject({ jobId: 'metered', status: 200, bytesIn: 0, bytesOut: body.length });
    expect(receipt.requestId).toBe(response.headers.get('mu-request-id'));
    expect(response.headers.get('mu-receipt')).toBe(`signed:metered:${receipt.requestId}:200:${body.length}`);
  });

  test('a receipt counts the request body, small (shared-memory slot) or big (transferred to the worker)', async () => {
    for (const size of [10, 200_000]) {
      const response = await runtime.fetch(
        'metered',
        new Request('http://m.local/upload', { method: 'POST', body: new Uint8Array(size) }),
      );
      expect(await response.text()).toContain(` ${size}`);
      expect(receipts.at(-1)).toMatchObject({ status: 200, bytesIn: size });
    }
  });
});
