/**
 * Where a wasi:http request's time goes, without the runtime: the StarlingMonkey hello app served in this thread
 * (no worker, no messages) through the worker's own host code (http-host, wasi-host) and the transpiled glue.
 * `node --import tsx bench/http-probe.ts <mode>`; modes:
 *   age        instantiate, wait 0/1/5/25 ms, serve: instantiate and handle medians
 *   thrash     handle after: nothing, a cache thrash, a 25 ms sleep (real or frozen guest clock), a 25 ms spin
 *   touch      whether pre-touching the fresh instance's memory pages helps the handle (it did not)
 *   count      host calls one request makes
 *   prof       CPU profile of 300 handles (/tmp/handle.cpuprofile)
 *   profinst   CPU profile of 200 instantiations (/tmp/inst.cpuprofile)
 *   mem        the instance's linear memory sizes
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { serveHttp } from '../src/guest/http-host.js';
import { readCoreModules, transpileCached } from '../src/transpile/transpile-cache.js';
import { capMemories } from '../src/transpile/wasm-binary.js';
import { buildHttpFixture } from '../test/helpers/fixtures.js';
import { inThreadImports } from '../test/helpers/in-thread-host.js';

const webAssembly = WebAssembly as unknown as { promising?: (f: unknown) => unknown };
if (typeof webAssembly.promising !== 'function') webAssembly.promising = (f: unknown) => f;

const app = await buildHttpFixture('hello');
const cacheDir = await mkdtemp(join(tmpdir(), 'mu-probe-'));
const transpiled = await transpileCached(cacheDir, app.sha256, () => app.bytes);
const files = await readCoreModules(transpiled);
const modules: Record<string, WebAssembly.Module> = {};
for (const [name, bytes] of files) {
  modules[name] = await WebAssembly.compile(capMemories(bytes, 128 * 2 ** 20).bytes as Uint8Array<ArrayBuffer>);
}
const glue = (await import(pathToFileURL(transpiled.gluePath).href)) as {
  instantiate: (...args: unknown[]) => Record<string, unknown>;
};
const imports = inThreadImports('wasi-http');

function instantiate() {
  const memories: WebAssembly.Memory[] = [];
  const exports = glue.instantiate(
    (name: string) => modules[name],
    imports,
    (module: WebAssembly.Module, importObject: WebAssembly.Imports) => {
      const instance = new WebAssembly.Instance(module, importObject);
      for (const value of Object.values(instance.exports))
        if (value instanceof WebAssembly.Memory) memories.push(value);
      return instance;
    },
  );
  const key = Object.keys(exports).find((name) => name.startsWith('wasi:http/incoming-handler'))!;
  return { handler: exports[key] as { handle(a: unknown, b: unknown): void }, memories };
}

const request = {
  method: 'GET',
  url: 'http://http.local/bench',
  headers: [] as [string, string][],
  body: new Uint8Array(),
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const med = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!.toFixed(3);

for (let i = 0; i < 30; i++) serveHttp(instantiate().handler, request, 1 << 20);

/** Starts the V8 CPU profiler (50 µs samples); the function returned stops it and writes the profile to `file`. */
async function startProfiler(): Promise<(file: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 50 });
  await post('Profiler.start');
  return async (file) => {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

const mode = process.argv[2] ?? 'age';
if (mode === 'age') {
  for (const age of [0, 1, 5, 25]) {
    const inst: number[] = [];
    const handle: number[] = [];
    for (let i = 0; i < 40; i++) {
      const t0 = performance.now();
      const instance = instantiate();
      const t1 = performance.now();
      if (age > 0) await sleep(age);
      else await new Promise((resolve) => setImmediate(resolve));
      const t2 = performance.now();
      serveHttp(instance.handler, request, 1 << 20);
      handle.push(performance.now() - t2);
      inst.push(t1 - t0);
    }
    console.log(`age ${age} ms: instantiate ${med(inst)} handle ${med(handle)}`);
  }
}
if (mode === 'spin') {
  // idle 25 ms but keep the CPU busy: separates CPU idle states from cache effects
  const handle: number[] = [];
  for (let i = 0; i < 40; i++) {
    const instance = instantiate();
    const until = performance.now() + 25;
    while (performance.now() < until) {}
    const t2 = performance.now();
    serveHttp(instance.handler, request, 1 << 20);
    handle.push(performance.now() - t2);
  }
  console.log(`spin 25 ms: handle ${med(handle)}`);
}
if (mode === 'prof') {
  const instances = Array.from({ length: 300 }, () => instantiate());
  const handle: number[] = [];
  const stop = await startProfiler();
  for (const instance of instances) {
    const t = performance.now();
    serveHttp(instance.handler, request, 1 << 20);
    handle.push(performance.now() - t);
  }
  await stop('/tmp/handle.cpuprofile');
  console.log(`prof: handle ${med(handle)}`);
}
if (mode === 'count') {
  const counts = new Map<string, number>();
  let counting = false;
  const wrap = (name: string, value: unknown): unknown => {
    if (typeof value !== 'function') return value;
    if (/#[A-Z]/.test(name)) {
      // a resource class: count method calls through a proxy on its prototype
      const proto = (value as { prototype: Record<string, unknown> }).prototype;
      for (const key of Object.getOwnPropertyNames(proto)) {
        const f = proto[key];
        if (key === 'constructor' || typeof f !== 'function') continue;
        proto[key] = function (this: unknown, ...args: unknown[]) {
          if (counting) counts.set(`${name}.${key}`, (counts.get(`${name}.${key}`) ?? 0) + 1);
          return (f as (...a: unknown[]) => unknown).apply(this, args);
        };
      }
      return value;
    }
    return (...args: unknown[]) => {
      if (counting) counts.set(name, (counts.get(name) ?? 0) + 1);
      return (value as (...a: unknown[]) => unknown)(...args);
    };
  };
  for (const [iface, members] of Object.entries(imports)) {
    for (const [key, value] of Object.entries(members as Record<string, unknown>)) {
      (members as Record<string, unknown>)[key] = wrap(`${iface}#${key}`, value);
    }
  }
  const instance = instantiate();
  counting = true;
  serveHttp(instance.handler, request, 1 << 20);
  counting = false;
  console.log([...counts].sort((a, b) => b[1] - a[1]));
}
if (mode === 'touch') {
  const touch = (memories: WebAssembly.Memory[]) => {
    for (const memory of memories) {
      const bytes = new Uint8Array(memory.buffer);
      for (let i = 0; i < bytes.length; i += 4096) bytes[i] = bytes[i]!;
    }
  };
  for (const age of [0, 25]) {
    for (const doTouch of [false, true, false, true]) {
      const handle: number[] = [];
      const touchMs: number[] = [];
      for (let i = 0; i < 40; i++) {
        const instance = instantiate();
        const t0 = performance.now();
        if (doTouch) touch(instance.memories);
        touchMs.push(performance.now() - t0);
        if (age > 0) await sleep(age);
        else await new Promise((resolve) => setImmediate(resolve));
        const t2 = performance.now();
        serveHttp(instance.handler, request, 1 << 20);
        handle.push(performance.now() - t2);
      }
      console.log(`age ${age} touch ${doTouch} (${med(touchMs)} ms): handle ${med(handle)}`);
    }
  }
}
if (mode === 'clock') {
  const clock = imports['wasi:clocks/monotonic-clock'] as Record<string, unknown>;
  const realNow = clock.now as () => bigint;
  let offset = 0n;
  clock.now = () => realNow() - offset;
  for (const frozen of [false, true, false, true]) {
    for (const age of [0, 25]) {
      const handle: number[] = [];
      for (let i = 0; i < 40; i++) {
        const instance = instantiate();
        const before = realNow();
        if (age > 0) await sleep(age);
        else await new Promise((resolve) => setImmediate(resolve));
        if (frozen) offset += realNow() - before;
        const t2 = performance.now();
        serveHttp(instance.handler, request, 1 << 20);
        handle.push(performance.now() - t2);
      }
      console.log(`frozen ${frozen} age ${age}: handle ${med(handle)}`);
    }
  }
}
if (mode === 'profinst') {
  const stop = await startProfiler();
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    instantiate();
    times.push(performance.now() - t);
  }
  console.log(`instantiate ${med(times)}`);
  await stop('/tmp/inst.cpuprofile');
}
if (mode === 'thrash') {
  const junk = new Uint8Array(64 << 20).fill(1);
  const clock = imports['wasi:clocks/monotonic-clock'] as Record<string, unknown>;
  const realNow = clock.now as () => bigint;
  let offset = 0n;
  clock.now = () => realNow() - offset;
  const results = new Map<string, number[]>();
  for (let i = 0; i < 240; i++) {
    const variant = ['hot', 'thrash', 'sleep25', 'sleep25-frozen', 'spin25', 'sleep25-thrash'][i % 6]!;
    const instance = instantiate();
    const before = realNow();
    if (variant.startsWith('sleep25')) await sleep(25);
    if (variant === 'spin25') {
      const until = performance.now() + 25;
      while (performance.now() < until) {}
    }
    if (variant.endsWith('thrash')) {
      let sum = 0;
      for (let j = 0; j < junk.length; j += 64) sum += junk[j]!;
      if (sum === 0) console.log('');
    }
    if (variant === 'sleep25-frozen') offset += realNow() - before;
    const t2 = performance.now();
    serveHttp(instance.handler, request, 1 << 20);
    const list = results.get(variant) ?? [];
    list.push(performance.now() - t2);
    results.set(variant, list);
  }
  console.log([...results].map(([k, v]) => `${k}=${med(v)}`).join(' '));
}
if (mode === 'mem') {
  const instance = instantiate();
  console.log(instance.memories.map((m) => m.buffer.byteLength));
  serveHttp(instance.handler, request, 1 << 20);
  console.log(instance.memories.map((m) => m.buffer.byteLength));
}
process.exit(0);
