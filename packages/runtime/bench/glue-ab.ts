/**
 * The glue as jco generated it vs as src/transpile/glue-patch.ts patches it, in one process (alternating, so the machine's
 * noise hits both alike): `node --import tsx bench/glue-ab.ts [http|quickjs]`.
 *   http     the StarlingMonkey hello app, a fresh instance per request (made, then a pause of MU_BENCH_PACE_MS,
 *            default 5): instantiate and handle medians (wall and process CPU)
 *   quickjs  the QuickJS hello app (Mu world), one instance reused: µs per `handle` call, median of blocks of 500
 * Host code is the worker's own (wasi-host, http-host, keyvalue-host); unlike the worker, the clock and random
 * imports go through the glue here.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { serveHttp } from '../src/guest/http-host.js';
import { patchGlue } from '../src/transpile/glue-patch.js';
import { TRANSPILE_OPTIONS } from '../src/transpile/transpile-messages.js';
import { capMemories } from '../src/transpile/wasm-binary.js';
import { buildFixture, buildHttpFixture } from '../test/helpers/fixtures.js';
import { inThreadImports } from '../test/helpers/in-thread-host.js';

// as in runtime.ts and worker.ts: QuickJS needs extended-const; without JSPI the glue wants an identity `promising`
setFlagsFromString('--experimental-wasm-extended-const');
const webAssembly = WebAssembly as unknown as { promising?: (f: unknown) => unknown };
if (typeof webAssembly.promising !== 'function') webAssembly.promising = (f: unknown) => f;

type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore: (module: WebAssembly.Module, imports: WebAssembly.Imports) => WebAssembly.Instance,
) => Record<string, unknown>;

const mode = process.argv[2] ?? 'http';
const app = mode === 'quickjs' ? await buildFixture('hello') : await buildHttpFixture('hello');
const { files } = await transpileBytes(app.bytes, TRANSPILE_OPTIONS);
const generated = Buffer.from(files['app.js']!).toString('utf8');
const modules: Record<string, WebAssembly.Module> = {};
for (const [name, content] of Object.entries(files)) {
  if (!name.endsWith('.wasm')) continue;
  const capped = capMemories(content as Uint8Array, 128 * 2 ** 20).bytes as Uint8Array<ArrayBuffer>;
  modules[name] = await WebAssembly.compile(capped);
}
const imports: Record<string, unknown> = inThreadImports(mode === 'quickjs' ? 'mu' : 'wasi-http');

const scratch = await mkdtemp(join(tmpdir(), 'mu-glue-ab-'));
const variants: [string, Instantiate][] = [];
for (const [name, source] of [
  ['generated', generated],
  ['patched', patchGlue(generated).source],
] as const) {
  const path = join(scratch, `${name}.mjs`);
  await writeFile(path, source);
  variants.push([name, ((await import(pathToFileURL(path).href)) as { instantiate: Instantiate }).instantiate]);
}
const instantiate = (glue: Instantiate) =>
  glue(
    (name) => modules[name]!,
    imports,
    (module, importObject) => new WebAssembly.Instance(module, importObject),
  );
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

if (mode === 'quickjs') {
  const request = { method: 'GET', url: 'http://hello.local/bench', headers: [], body: new Uint8Array() };
  const handles = variants.map(([name, glue]) => [name, instantiate(glue).handle] as const);
  const perCall = new Map<string, number[]>();
  for (let round = 0; round < 40; round++) {
    for (const [name, handle] of handles) {
      const started = performance.now();
      for (let i = 0; i < 500; i++) {
        const response = (handle as (r: typeof request) => { status: number })(request);
        if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
      }
      if (round >= 10) perCall.set(name, [...(perCall.get(name) ?? []), ((performance.now() - started) / 500) * 1000]);
    }
  }
  for (const [name, values] of perCall) console.log(`${name}: ${median(values).toFixed(1)} µs per handle call`);
} else {
  const request = {
    method: 'GET',
    url: 'http://http.local/bench',
    headers: [] as [string, string][],
    body: new Uint8Array(),
  };
  const pace = Number(process.env.MU_BENCH_PACE_MS ?? 5);
  const stats = new Map<string, { instantiate: number[]; wall: number[]; cpu: number[] }>();
  for (let i = 0; i < 130; i++) {
    for (const [name, glue] of variants) {
      const started = performance.now();
      const exports = instantiate(glue);
      const instantiateMs = performance.now() - started;
      const handler = exports[Object.keys(exports).find((key) => key.startsWith('wasi:http/incoming-handler'))!];
      await sleep(pace);
      const cpu = process.cpuUsage();
      const wall = performance.now();
      const outcome = serveHttp(handler as Parameters<typeof serveHttp>[0], request, 1 << 20);
      const wallMs = performance.now() - wall;
      const { user, system } = process.cpuUsage(cpu);
      if (outcome.kind !== 'response' || outcome.status !== 200) throw new Error(JSON.stringify(outcome));
      if (i < 10) continue;
      const s = stats.get(name) ?? { instantiate: [], wall: [], cpu: [] };
      stats.set(name, s);
      s.instantiate.push(instantiateMs);
      s.wall.push(wallMs);
      s.cpu.push((user + system) / 1000);
    }
  }
  for (const [name, s] of stats) {
    const ms = (values: number[]) => `${median(values).toFixed(3)} ms`;
    console.log(`${name}: instantiate ${ms(s.instantiate)}, handle ${ms(s.wall)} (CPU ${ms(s.cpu)})`);
  }
}
await rm(scratch, { recursive: true, force: true });
process.exit(0);
