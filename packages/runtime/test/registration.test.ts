import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMuError } from '@mu/errors';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createRuntime,
  DEFAULT_APP_LIMITS,
  HashMismatchError,
  JobExistsError,
  JobNotFoundError,
  MissingExportError,
  NotAComponentError,
  type Runtime,
  sha256Hex,
  TranspileError,
  UnsupportedImportError,
  WrongWorldError,
} from '../src/index.js';
import { buildFixture, type Fixture } from './helpers/fixtures.js';

let cacheDir: string;
let runtime: Runtime;
let hello: Fixture;

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'mu-runtime-registration-'));
  runtime = await createRuntime({ workers: 1, cacheDir });
  hello = await buildFixture('hello');
});

afterAll(async () => {
  await runtime.close();
  await rm(cacheDir, { recursive: true, force: true });
});

const CORE_MODULE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

describe('register validates eagerly', () => {
  test('refuses bytes that are not Wasm', async () => {
    const error = await runtime
      .register('junk', { component: new TextEncoder().encode('hello world') })
      .catch((e) => e);
    expect(error).toBeInstanceOf(NotAComponentError);
    expect(error.code).toBe('RUNTIME_NOT_A_COMPONENT');
  });

  test('refuses a core module and says how to wrap it', async () => {
    const error = await runtime.register('core', { component: CORE_MODULE }).catch((e) => e);
    expect(error).toBeInstanceOf(NotAComponentError);
    expect(error.message).toMatch(/jco new/);
  });

  test('refuses code whose sha256 differs from the spec', async () => {
    const error = await runtime
      .register('bad-hash', { component: hello.bytes, sha256: sha256Hex(CORE_MODULE) })
      .catch((e) => e);
    expect(error).toBeInstanceOf(HashMismatchError);
    expect(error.code).toBe('RUNTIME_HASH_MISMATCH');
    expect(error.details).toContain(hello.sha256);
    expect(runtime.has('bad-hash')).toBe(false);
  });

  test('answers a component jco rejects with RUNTIME_TRANSPILE_FAILED, and transpiles the next one', async () => {
    // a component header followed by a section that claims more bytes than there are
    const broken = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x01, 0x7f, 0x00]);
    const error = await runtime.register('broken', { component: broken }).catch((e) => e);
    expect(error).toBeInstanceOf(TranspileError);
    expect(error.code).toBe('RUNTIME_TRANSPILE_FAILED');
    expect(runtime.has('broken')).toBe(false);
    // the transpile thread still serves: a fresh cache makes the next registration transpile again
    const freshDir = await mkdtemp(join(tmpdir(), 'mu-runtime-retranspile-'));
    const fresh = await createRuntime({ workers: 1, cacheDir: freshDir });
    try {
      await fresh.register('after-broken', { component: hello.bytes });
      expect((await fresh.fetch('after-broken', new Request('http://a.local/x'))).status).toBe(200);
    } finally {
      await fresh.close();
      await rm(freshDir, { recursive: true, force: true });
    }
  });

  test('refuses a component of another world', async () => {
    const other = await buildFixture({
      name: 'other-world',
      world: 'other',
      wit: 'package test:app;\nworld other { export run: func() -> string; }\n',
      source: "export function run() { return 'ran'; }\n",
    });
    const error = await runtime.register('other', { component: other.bytes }).catch((e) => e);
    expect(error).toBeInstanceOf(WrongWorldError);
    expect(error.code).toBe('RUNTIME_WRONG_WORLD');
  });

  test('refuses a Mu-world component without `handle`', async () => {
    const noHandle = await buildFixture({
      name: 'no-handle',
      world: 'no-handle',
      wit: 'package test:app;\nworld no-handle { import mu:app/log@0.1.0; export run: func() -> string; }\n',
      source: "import { log } from 'mu:app/log@0.1.0';\nexport function run() { log('info', 'x'); return 'ran'; }\n",
    });
    const error = await runtime.register('no-handle', { component: noHandle.bytes }).catch((e) => e);
    expect(error).toBeInstanceOf(MissingExportError);
    expect(error.code).toBe('RUNTIME_MISSING_EXPORT');
    expect(error.missing).toBe('handle');
  });

  test('refuses imports the node does not provide', async () => {
    const network = await buildFixture({
      name: 'raw-network',
      world: 'net-app',
      wit: [
        'package test:app;',
        'interface net { connect: func(host: string) -> u32; }',
        'world net-app {',
        '  use mu:app/types@0.1.0.{request, response};',
        '  import net;',
        '  export handle: func(request: request) -> response;',
        '}',
      ].join('\n'),
      source: [
        "import { connect } from 'test:app/net';",
        'export function handle(request) {',
        "  return { status: 200, headers: [], body: new Uint8Array([connect('example.com')]) };",
        '}',
      ].join('\n'),
    });
    const error = await runtime.register('net', { component: network.bytes }).catch((e) => e);
    expect(error).toBeInstanceOf(UnsupportedImportError);
    expect(error.code).toBe('RUNTIME_UNSUPPORTED_IMPORT');
    expect(error.imports).toEqual(['test:app/net']);
    expect(isMuError(error)).toBe(true);
    expect(error.message).toBe(`${error.shortMessage}\n\nDetails: unsupported: test:app/net`);
  });

  test('rejects bad arguments with TypeError/RangeError before any side effect', async () => {
    await expect(runtime.register('', { component: hello.bytes })).rejects.toBeInstanceOf(RangeError);
    await expect(runtime.register('x', { component: 'nope' as never })).rejects.toBeInstanceOf(TypeError);
    await expect(runtime.register('x', { component: async () => hello.bytes })).rejects.toThrow(/sha256/);
    await expect(runtime.register('x', { component: hello.bytes, limits: { timeoutMs: -1 } })).rejects.toBeInstanceOf(
      RangeError,
    );
    expect(runtime.has('x')).toBe(false);
  });
});

describe('default limits', () => {
  test('DEFAULT_APP_LIMITS is frozen and is what an app without limits gets', async () => {
    expect(DEFAULT_APP_LIMITS).toEqual({ memoryMb: 128, timeoutMs: 10_000, maxBodyBytes: 1_048_576 });
    expect(Object.isFrozen(DEFAULT_APP_LIMITS)).toBe(true);
    await runtime.register('defaults', { component: hello.bytes });
    const body = (size: number) =>
      new Request('http://defaults.local/', { method: 'POST', body: new Uint8Array(size) });
    expect((await runtime.fetch('defaults', body(DEFAULT_APP_LIMITS.maxBodyBytes + 1))).status).toBe(413);
    const fits = await runtime.fetch('defaults', body(DEFAULT_APP_LIMITS.maxBodyBytes));
    expect(await fits.text()).toBe(`hello POST / ${DEFAULT_APP_LIMITS.maxBodyBytes}`);
    await runtime.unregister('defaults');
  });
});

describe('lifecycle', () => {
  test('loads lazily: registration compiles nothing, the first request does', async () => {
    const before = runtime.stats().cache;
    const registration = await runtime.register('lazy', { component: hello.bytes });
    expect(registration).toMatchObject({ jobId: 'lazy', sha256: hello.sha256, world: 'mu' });
    expect(registration.imports).toContain('mu:app/config');
    expect(runtime.stats().cache.size).toBe(before.size);
    const response = await runtime.fetch('lazy', new Request('http://lazy.local/x'));
    expect(await response.text()).toBe('hello GET /x 0');
    expect(runtime.stats().cache.size).toBe(before.size + 1);
  });

  test('refuses a second registration of the same job, and requests for unknown jobs', async () => {
    await runtime.register('twice', { component: hello.bytes });
    await expect(runtime.register('twice', { component: hello.bytes })).rejects.toBeInstanceOf(JobExistsError);
    await expect(runtime.fetch('nobody', new Request('http://x.local/'))).rejects.toBeInstanceOf(JobNotFoundError);
  });

  test('unregister removes the job', async () => {
    await runtime.register('gone', { component: hello.bytes });
    await runtime.unregister('gone');
    expect(runtime.has('gone')).toBe(false);
    await expect(runtime.fetch('gone', new Request('http://x.local/'))).rejects.toBeInstanceOf(JobNotFoundError);
  });

  test('update switches new requests to the new version', async () => {
    await runtime.register('versioned', { component: hello.bytes, env: { GREETING: 'v1' } });
    expect(await (await runtime.fetch('versioned', new Request('http://v.local/'))).text()).toBe('v1 GET / 0');
    await runtime.update('versioned', { component: hello.bytes, env: { GREETING: 'v2' } });
    expect(await (await runtime.fetch('versioned', new Request('http://v.local/'))).text()).toBe('v2 GET / 0');
  });

  test('a restarted node reads the transpile cache and never calls the loader again', async () => {
    const second = await createRuntime({ workers: 1, cacheDir });
    try {
      let loads = 0;
      const registration = await second.register('cached', {
        sha256: hello.sha256,
        component: async () => {
          loads++;
          return hello.bytes;
        },
      });
      expect(registration.transpileCached).toBe(true);
      expect(loads).toBe(0);
      expect(await (await second.fetch('cached', new Request('http://c.local/'))).text()).toBe('hello GET / 0');
    } finally {
      await second.close();
    }
  });
});
