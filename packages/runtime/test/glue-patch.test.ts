import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { serveHttp } from '../src/guest/http-host.js';
import { patchGlue } from '../src/transpile/glue-patch.js';
import { transpileCached } from '../src/transpile/transpile-cache.js';
import { TRANSPILE_OPTIONS } from '../src/transpile/transpile-messages.js';
import { buildFixture, buildHttpFixture } from './helpers/fixtures.js';
import { inThreadImports } from './helpers/in-thread-host.js';

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'mu-runtime-glue-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const occurrences = (source: string, pattern: string) => source.split(pattern).length - 1;

describe('the glue patch', () => {
  test.each([
    ['QuickJS hello', () => buildFixture('hello')],
    ['StarlingMonkey hello', () => buildHttpFixture('hello')],
  ])('applies to every host import of the %s glue', async (_name, build) => {
    const fixture = await build();
    const transpiled = await transpileCached(join(scratch, 'cache'), fixture.sha256, () => fixture.bytes);
    const glue = await readFile(transpiled.gluePath, 'utf8');
    const trampolines = occurrences(glue, 'const hostProvided = true;');
    expect(trampolines).toBeGreaterThan(10);
    expect(glue.match(/\._muFast = \d+;\n/g)?.length).toBe(trampolines);
    expect(occurrences(glue, 'if (args.importFn._muFast === args.componentIdx')).toBe(1);
    expect(glue).toContain('const _debugLog = () => {};');
    expect(occurrences(glue, 'const warmUpTask = new AsyncTask(')).toBe(1);
    expect(glue).not.toContain('\n      rsc[symbolRscHandle] = undefined;\n');
    expect(
      occurrences(glue, 'if (rsc[symbolRscHandle] !== undefined) { rsc[symbolRscHandle] = undefined; }'),
    ).toBeGreaterThan(10);
    expect(glue).not.toContain('const _debugLog = (...args)');
  });

  test('leaves text it does not recognise alone', () => {
    const source = 'export function instantiate() {\n  function _lowerImportBackwardsCompat(args) {\n  }\n}\n';
    const { source: patched, report } = patchGlue(source);
    expect(patched).toBe(source);
    expect(report).toEqual({
      debugLog: false,
      lowerImport: false,
      fastTrampolines: 0,
      slowTrampolines: 0,
      warmUp: false,
      borrowReleases: 0,
    });
  });

  test('leaves a trampoline whose text differs as generated, and patches the others', async () => {
    const fixture = await buildHttpFixture('hello');
    const raw = await rawGlue(fixture.bytes);
    const reference = patchGlue(raw).report;
    expect(reference.slowTrampolines).toBe(0);
    // one trampoline whose host task is used after the call: the patch must not skip it
    const altered = raw.replace('    task.resolve([ret]);\n', '    task.id();\n    task.resolve([ret]);\n');
    const { report } = patchGlue(altered);
    expect(report.slowTrampolines).toBe(1);
    expect(report.fastTrampolines).toBe(reference.fastTrampolines - 1);
  });
});

const rawGlues = new Map<Uint8Array, Promise<{ source: string; files: Record<string, Uint8Array> }>>();

function transpileRaw(bytes: Uint8Array) {
  let result = rawGlues.get(bytes);
  if (result === undefined) {
    result = transpileBytes(bytes, TRANSPILE_OPTIONS).then(({ files }) => ({
      source: Buffer.from(files['app.js']!).toString('utf8'),
      files: files as Record<string, Uint8Array>,
    }));
    rawGlues.set(bytes, result);
  }
  return result;
}

async function rawGlue(bytes: Uint8Array): Promise<string> {
  return (await transpileRaw(bytes)).source;
}

/**
 * The StarlingMonkey hello app served through the glue as jco generated it and as we patch it, with the worker's own
 * host code: the two must behave the same, on success and when a host import fails.
 */
describe('the patched glue behaves as the generated one', () => {
  type Handler = { handle(a: unknown, b: unknown): void };
  let instantiators: Record<'raw' | 'patched', () => Handler>;
  let httpTypes: Record<string, unknown>;

  beforeAll(async () => {
    const fixture = await buildHttpFixture('hello');
    const { source, files } = await transpileRaw(fixture.bytes);
    const modules: Record<string, WebAssembly.Module> = {};
    for (const [name, content] of Object.entries(files)) {
      if (name.endsWith('.wasm')) modules[name] = await WebAssembly.compile(content as Uint8Array<ArrayBuffer>);
    }
    const imports = inThreadImports('wasi-http');
    httpTypes = imports['wasi:http/types'] as Record<string, unknown>;
    const load = async (name: string, text: string) => {
      const path = join(scratch, `${name}.mjs`);
      await writeFile(path, text);
      const glue = (await import(pathToFileURL(path).href)) as {
        instantiate: (...args: unknown[]) => Record<string, unknown>;
      };
      return () => {
        const exports = glue.instantiate((file: string) => modules[file], imports);
        const key = Object.keys(exports).find((name) => name.startsWith('wasi:http/incoming-handler'))!;
        return exports[key] as Handler;
      };
    };
    instantiators = { raw: await load('raw', source), patched: await load('patched', patchGlue(source).source) };
  });

  const request = {
    method: 'GET',
    url: 'http://http.local/glue',
    headers: [] as [string, string][],
    body: new Uint8Array(),
  };

  /** What a call did: its outcome, or the error it threw (class and message). */
  function outcome(handler: Handler): unknown {
    try {
      const result = serveHttp(handler, request, 1 << 20);
      return result.kind === 'response' ? { ...result, body: Buffer.from(result.body).toString('utf8') } : result;
    } catch (error) {
      return { threw: (error as Error).constructor.name, message: (error as Error).message };
    }
  }

  test('on success', () => {
    const raw = instantiators.raw();
    const patched = instantiators.patched();
    const first = outcome(raw);
    expect(first).toMatchObject({ kind: 'response', status: 200 });
    expect(outcome(patched)).toEqual(first);
    // the same instance again (the Mu world reuses its instance)
    expect(outcome(patched)).toEqual(outcome(raw));
  });

  test('the patched glue calls the host without a host task of its own', () => {
    const prototype = (httpTypes.IncomingRequest as { prototype: Record<string, unknown> }).prototype;
    const method = prototype.method as (this: unknown) => unknown;
    const frames: Record<string, number> = {};
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 100;
    try {
      for (const variant of ['raw', 'patched'] as const) {
        const handler = instantiators[variant]();
        prototype.method = function (this: unknown) {
          // jco runs each task under _withGlobalCurrentTaskMeta: the export's (twice), then the host task's
          frames[variant] = (new Error().stack ?? '').split('_withGlobalCurrentTaskMeta').length - 1;
          return method.call(this);
        };
        try {
          expect(outcome(handler)).toMatchObject({ kind: 'response', status: 200 });
        } finally {
          prototype.method = method;
        }
      }
    } finally {
      Error.stackTraceLimit = limit;
    }
    expect(frames.raw).toBeGreaterThan(0);
    expect(frames.patched).toBe(frames.raw! - 1);
  });

  test.each([
    ['a trap', () => new WebAssembly.RuntimeError('host trap')],
    ['an error', () => new Error('host failure')],
  ])('when a host import throws %s, and on the next call', (_name, makeError) => {
    const prototype = (httpTypes.IncomingRequest as { prototype: Record<string, unknown> }).prototype;
    const method = prototype.method;
    const results: Record<string, unknown[]> = {};
    for (const variant of ['raw', 'patched'] as const) {
      const handler = instantiators[variant]();
      prototype.method = () => {
        throw makeError();
      };
      try {
        results[variant] = [outcome(handler)];
      } finally {
        prototype.method = method;
      }
      results[variant]!.push(outcome(handler), outcome(instantiators[variant]()));
    }
    expect(results.raw![0]).toHaveProperty('threw');
    expect(results.patched).toEqual(results.raw);
  });
});
