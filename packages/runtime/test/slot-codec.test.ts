import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createRuntime } from '../src/index.js';
import type { RequestMessage, ResponseMessage } from '../src/threads/messages.js';
import { createSlots, SLOT_BYTES, Slot } from '../src/threads/slot-codec.js';
import { buildFixture } from './helpers/fixtures.js';

function slots(): { a: Slot; b: Slot } {
  const buffer = createSlots();
  return { a: new Slot(buffer, 0), b: new Slot(buffer, 1) };
}

const request: RequestMessage = {
  type: 'request',
  id: 7,
  key: 'job-é#3',
  method: 'POST',
  url: 'https://app.example/päth?q=ü',
  headers: [
    ['content-type', 'application/json'],
    ['x-emoji', '🙂'],
  ],
  body: new TextEncoder().encode('{"hello":"wörld"}'),
};

describe('the slot codec', () => {
  test('a request round-trips, with its sequence number, into a fresh unshared body', () => {
    const { a } = slots();
    expect(a.writeRequest(42, request)).toBe(true);
    expect(a.peekSeq()).toBe(42);
    const read = a.readRequest();
    expect(read).toEqual(request);
    expect(read.body.buffer).toBeInstanceOf(ArrayBuffer);
  });

  test('a response round-trips with its meter and logs', () => {
    const { b } = slots();
    const response: ResponseMessage = {
      type: 'response',
      id: 9,
      status: 201,
      headers: [['x-a', 'ß']],
      body: new Uint8Array([0, 1, 2, 255]),
      logs: [
        { level: 'warn', message: 'careful ✓' },
        { level: 'trace', message: '' },
      ],
      streamed: false,
      busyMs: 0.123,
      kvWaitMs: 4.5,
      memoryBytes: 2 ** 33,
      instantiated: true,
    };
    expect(b.writeResponse(response)).toBe(true);
    expect(b.readResponse()).toEqual(response);
  });

  test('single-key KV calls and their replies round-trip; other calls and values stay on the port', () => {
    const { a, b } = slots();
    for (const call of [
      { op: 'get' as const, bucket: 'default', args: ['k'] },
      { op: 'set' as const, bucket: 'b', args: ['ключ', new Uint8Array([1, 2, 3])] },
      { op: 'delete' as const, bucket: 'b', args: ['k'] },
      { op: 'exists' as const, bucket: 'b', args: ['k'] },
      { op: 'increment' as const, bucket: 'b', args: ['n', -(2n ** 62n)] },
    ]) {
      expect(b.writeCall(call)).toBe(true);
      expect(b.readCall()).toEqual(call);
    }
    expect(b.writeCall({ op: 'list-keys', bucket: 'b', args: [undefined] })).toBe(false);
    expect(b.writeCall({ op: 'get-many', bucket: 'b', args: [['a']] })).toBe(false);
    expect(b.writeCall({ op: 'set', bucket: 'b', args: ['k', 'not bytes'] })).toBe(false);
    expect(b.writeCall({ op: 'http-fetch', bucket: '', args: [{}] })).toBe(false);
    for (const reply of [
      { ok: true as const, value: undefined },
      { ok: true as const, value: true },
      { ok: true as const, value: false },
      { ok: true as const, value: 2n ** 63n - 1n },
      { ok: true as const, value: new Uint8Array([9, 8]) },
      { ok: false as const, message: 'MUDB_QUOTA: too big' },
    ]) {
      expect(a.writeReply(reply)).toBe(true);
      expect(a.readReply()).toEqual(reply);
    }
    expect(a.writeReply({ ok: true, value: { keys: [], cursor: undefined } })).toBe(false);
  });

  test('what does not fit is refused whole, whatever the characters', () => {
    const { a, b } = slots();
    expect(a.writeRequest(1, { ...request, body: new Uint8Array(SLOT_BYTES) })).toBe(false);
    // 3 bytes per character: the bound is checked exactly near the end
    expect(a.writeRequest(1, { ...request, url: '€'.repeat(SLOT_BYTES / 3) })).toBe(false);
    const fits = 'é'.repeat(Math.floor((SLOT_BYTES - 200) / 2));
    expect(a.writeRequest(1, { ...request, url: fits, body: new Uint8Array(0) })).toBe(true);
    expect(a.readRequest().url).toBe(fits);
    expect(b.writeCall({ op: 'set', bucket: 'b', args: ['k', new Uint8Array(SLOT_BYTES)] })).toBe(false);
  });
});

test('big requests and responses take the ports and still answer correctly', async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'mu-runtime-wire-'));
  const runtime = await createRuntime({ workers: 1, cacheDir });
  try {
    const hello = await buildFixture('hello');
    await runtime.register('hello', { component: hello.bytes });
    for (const size of [0, 1_000, SLOT_BYTES, 300_000]) {
      const response = await runtime.fetch(
        'hello',
        new Request('http://hello.local/big', { method: 'POST', body: new Uint8Array(size) }),
      );
      expect(await response.text()).toBe(`hello POST /big ${size}`);
    }
  } finally {
    await runtime.close();
    await rm(cacheDir, { recursive: true, force: true });
  }
});
