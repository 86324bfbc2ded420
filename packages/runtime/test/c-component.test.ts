import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRuntime, type Runtime } from '../src/index.js';
import { buildCFixture, clangMissing } from './helpers/fixtures.js';

const missing = await clangMissing();
if (missing !== undefined) {
  if (process.env.MU_REQUIRE_CLANG === '1') throw new Error(`MU_REQUIRE_CLANG=1 but ${missing}`);
  console.warn(`skipping the C component test: ${missing}`);
}

describe.skipIf(missing !== undefined)('a C component (clang + wasi-libc, no JavaScript inside)', () => {
  let cacheDir: string;
  let runtime: Runtime;

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'mu-runtime-c-'));
    runtime = await createRuntime({ workers: 1, cacheDir });
  });

  afterAll(async () => {
    await runtime?.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  test('registers in the Mu world and answers from a reused instance', async () => {
    const app = await buildCFixture();
    const registration = await runtime.register('c-hello', { component: app.bytes });
    expect(registration.world).toBe('mu');
    expect(registration.imports.every((name) => name.startsWith('wasi:'))).toBe(true);
    const first = await runtime.fetch(
      'c-hello',
      new Request('http://c.local/x?y=1', { method: 'PUT', body: 'four', headers: { 'x-a': '1' } }),
    );
    expect(first.headers.get('content-type')).toBe('text/plain');
    expect(await first.text()).toMatch(/^hello from C: PUT http:\/\/c\.local\/x\?y=1 4 bytes, \d+ headers, request 1$/);
    const second = await runtime.fetch('c-hello', new Request('http://c.local/'));
    expect(await second.text()).toMatch(/request 2$/);
  });

  test('has no filesystem: opening a host path fails inside the guest', async () => {
    const response = await runtime.fetch('c-hello', new Request('http://c.local/fs'));
    expect(await response.text()).toBe('fopen /etc/passwd: refused');
  });
});
