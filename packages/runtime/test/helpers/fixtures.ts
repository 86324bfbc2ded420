import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { componentizeCached, listWitFiles } from '@mu/test-kit';
import { muWitPath } from '../../src/wit.js';

/** The JavaScript apps under test/fixtures/apps, built with componentize-qjs against the Mu world. */
export type FixtureName = 'hello' | 'kv' | 'loop' | 'memory-bomb' | 'trap' | 'huge';

/** A component built from an ad-hoc world (for registration errors): WIT of package `test:app`, plus the Mu WIT as deps. */
export interface CustomFixture {
  name: string;
  wit: string;
  world: string;
  source: string;
}

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
const appsDir = join(packageRoot, 'test/fixtures/apps');
/** Gitignored (`.cache/` is in the root .gitignore): built components, keyed by a hash of their inputs. */
export const fixtureCacheDir = join(packageRoot, '.cache/fixtures');

/** A built fixture. */
export interface Fixture {
  name: string;
  path: string;
  bytes: Uint8Array;
  sha256: string;
}

const building = new Map<string, Promise<Fixture>>();

/**
 * Builds a fixture app once: the component is cached under `.cache/fixtures/`, keyed by the sha256 of the
 * app's source, the WIT, the componentize-qjs version and the build options. A later run reuses it.
 */
export function buildFixture(fixture: FixtureName | CustomFixture): Promise<Fixture> {
  const name = typeof fixture === 'string' ? fixture : fixture.name;
  let pending = building.get(name);
  if (pending === undefined) {
    pending = typeof fixture === 'string' ? build(fixture) : buildCustom(fixture);
    building.set(name, pending);
  }
  return pending;
}

async function build(name: FixtureName): Promise<Fixture> {
  const source = await readFile(join(appsDir, `${name}.js`), 'utf8');
  return buildFrom(name, source, muWitPath, 'app');
}

async function buildCustom(fixture: CustomFixture): Promise<Fixture> {
  const witDir = join(fixtureCacheDir, `wit-${fixture.name}`);
  await mkdir(join(witDir, 'deps'), { recursive: true });
  await writeFile(join(witDir, 'world.wit'), fixture.wit);
  for (const file of await listWitFiles(muWitPath)) {
    const target = join(
      witDir,
      'deps',
      file
        .slice(muWitPath.length)
        .replaceAll('/', '-')
        .replace(/^deps-/, ''),
    );
    await writeFile(target, await readFile(file));
  }
  return buildFrom(fixture.name, fixture.source, witDir, fixture.world);
}

async function buildFrom(name: string, source: string, witPath: string, world: string): Promise<Fixture> {
  const built = await componentizeCached({ name, source, witPath, world, cacheDir: fixtureCacheDir });
  return { name, ...built };
}

const httpAppsDir = join(packageRoot, 'test/fixtures/http');

/**
 * A wasi:http/proxy WIT folder that componentize-js accepts: StarlingMonkey is built for WASI 0.2.10 while jco
 * ships 0.2.12 WIT, so the 0.2.12 packages are renamed and jco's own 0.2.10 io/clocks/sockets snapshots used.
 */
async function proxyWit(): Promise<string> {
  // jco's package exports hide its files: find its folder from the workspace's node_modules
  const builtin = join(packageRoot, '../../node_modules/@bytecodealliance/jco/lib/wit/builtin');
  const out = join(fixtureCacheDir, 'wit-proxy-0.2.10');
  const rename = (text: string) => text.replaceAll('0.2.12', '0.2.10');
  await mkdir(join(out, 'deps'), { recursive: true });
  // plus a world for apps that use MuDB: proxy + wasi:keyvalue (a world of the wasi:http package: one package per folder)
  const proxyKv =
    'world proxy-kv {\n  include proxy;\n  import wasi:keyvalue/store@0.2.0-draft2;\n  import wasi:keyvalue/atomics@0.2.0-draft2;\n}\n';
  const http = rename(await readFile(join(builtin, '0.2.12/wasi-http/package.wit'), 'utf8'));
  await writeFile(join(out, 'package.wit'), `${http}\n${proxyKv}`);
  for (const name of ['cli', 'random', 'filesystem']) {
    const text = await readFile(join(builtin, `0.2.12/wasi-${name}/package.wit`), 'utf8');
    await writeFile(join(out, 'deps', `wasi-${name}.wit`), rename(text));
  }
  for (const name of ['io', 'clocks', 'sockets']) {
    const own = await readFile(join(builtin, `0.2.10/wasi-${name}/package.wit`), 'utf8');
    const newer = await readFile(join(builtin, `0.2.12/wasi-${name}/package.wit`), 'utf8');
    const world = /^world imports \{[\s\S]*?^\}/m.exec(newer)?.[0] ?? '';
    await writeFile(join(out, 'deps', `wasi-${name}.wit`), `${own}\n${rename(world)}\n`);
  }
  // wasi:keyvalue, for the proxy-kv world
  await writeFile(
    join(out, 'deps', 'wasi-keyvalue.wit'),
    await readFile(join(muWitPath, 'deps/keyvalue/keyvalue.wit')),
  );
  return out;
}

/** Builds a wasi:http/proxy app from test/fixtures/http with componentize-js (StarlingMonkey), once. */
export function buildHttpFixture(name: 'hello' | 'fetch' | 'counter' | 'stream' | 'globals'): Promise<Fixture> {
  const id = `http-${name}`;
  let pending = building.get(id);
  if (pending === undefined) {
    pending = buildHttp(name);
    building.set(id, pending);
  }
  return pending;
}

async function buildHttp(name: string): Promise<Fixture> {
  const sourcePath = join(httpAppsDir, `${name}.js`);
  const witDir = await proxyWit();
  const manifest = join(packageRoot, '../../node_modules/@bytecodealliance/componentize-js/package.json');
  const version = (JSON.parse(await readFile(manifest, 'utf8')) as { version: string }).version;
  const hash = createHash('sha256').update(await readFile(sourcePath));
  for (const file of await listWitFiles(witDir)) hash.update(file.slice(witDir.length)).update(await readFile(file));
  const world = name === 'counter' ? 'proxy-kv' : 'proxy';
  hash.update(`componentize-js@${version} ${world}`);
  const path = join(fixtureCacheDir, `http-${name}-${hash.digest('hex').slice(0, 20)}.wasm`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch {
    const staging = `${path}.${randomUUID()}.tmp`;
    const builder = join(packageRoot, 'test/helpers/build-starlingmonkey.mjs');
    await run(process.execPath, [builder, sourcePath, witDir, staging, world]);
    await rename(staging, path);
    bytes = new Uint8Array(await readFile(path));
  }
  return { name: `http-${name}`, path, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

function run(command: string, args: string[], output: 'inherit' | 'ignore' = 'inherit'): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', output, output] });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}`)),
    );
  });
}

/** Why the C fixture cannot be built here, or undefined when clang targets wasm32-wasi. */
export async function clangMissing(): Promise<string | undefined> {
  try {
    await run('clang', ['--version'], 'ignore');
  } catch {
    return 'clang is not installed (Debian: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32)';
  }
  return undefined;
}

/**
 * Builds test/fixtures/c/hello.c into a Mu-world component: clang (wasm32-wasi reactor), then the world's
 * `types` interface embedded (from wit/mu.wit) and `component new` with jco's preview1 reactor adapter.
 */
export function buildCFixture(): Promise<Fixture> {
  let pending = building.get('c-hello');
  if (pending === undefined) {
    pending = buildC();
    building.set('c-hello', pending);
  }
  return pending;
}

async function buildC(): Promise<Fixture> {
  const sourcePath = join(packageRoot, 'test/fixtures/c/hello.c');
  const muWit = await readFile(join(muWitPath, 'mu.wit'), 'utf8');
  const types = /^interface types \{[\s\S]*?^\}/m.exec(muWit)?.[0];
  if (types === undefined) throw new Error('wit/mu.wit has no `interface types`');
  const wit = `package mu:app@0.1.0;\n${types}\nworld c-app {\n  use types.{request, response};\n  export handle: func(request: request) -> response;\n}\n`;
  const adapterPath = join(
    packageRoot,
    '../../node_modules/@bytecodealliance/jco/lib/wasi_snapshot_preview1.reactor.wasm',
  );
  const adapter = await readFile(adapterPath);
  const hash = createHash('sha256')
    .update(await readFile(sourcePath))
    .update(wit)
    .update(adapter)
    .update(execFileSync('clang', ['--version']));
  const path = join(fixtureCacheDir, `c-hello-${hash.digest('hex').slice(0, 20)}.wasm`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch {
    await mkdir(fixtureCacheDir, { recursive: true });
    const core = `${path}.${randomUUID()}.core.wasm`;
    await run('clang', ['--target=wasm32-wasi', '-O2', '-mexec-model=reactor', '-o', core, sourcePath]);
    const { componentEmbed, componentNew } = await import('@bytecodealliance/jco-transpile/wasm-tools');
    const embedded = await componentEmbed({
      binary: new Uint8Array(await readFile(core)),
      witSource: wit,
      world: 'c-app',
      stringEncoding: 'utf8',
    });
    bytes = await componentNew(embedded, [['wasi_snapshot_preview1', new Uint8Array(adapter)]]);
    const staging = `${path}.${randomUUID()}.tmp`;
    await writeFile(staging, bytes);
    await rename(staging, path);
    await rm(core, { force: true });
  }
  return { name: 'c-hello', path, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}
