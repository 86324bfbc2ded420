import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** Options of {@link componentizeCached}. */
export interface ComponentizeCachedOptions {
  /** Names the cached file (`<name>-<hash>.wasm`). */
  name: string;
  /** The app's JavaScript source. */
  source: string;
  /** The WIT folder to build against (every `.wit` file under it is part of the cache key). */
  witPath: string;
  /** The world of that WIT the component targets. */
  world: string;
  /** Where built components are kept (gitignored, e.g. `<package>/.cache/`). */
  cacheDir: string;
  /** componentize-qjs's `sync` (default true: the Mu world's exports are synchronous). */
  sync?: boolean;
  /** componentize-qjs's `stubWasi` (default false: it would stub every `wasi:*` import, wasi:keyvalue included). */
  stubWasi?: boolean;
}

/** A built component. */
export interface CachedComponent {
  /** The component on disk, under `cacheDir`. */
  path: string;
  bytes: Uint8Array;
  /** sha256 of the bytes, lowercase hex (a job spec's `code.sha256`). */
  sha256: string;
}

/** The `.wit` files under a folder, sorted (a stable order for hashing). */
export async function listWitFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.wit'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

let qjsVersion: string | undefined;

/**
 * Where {@link componentizeCached} keeps the component of these inputs: `<cacheDir>/<name>-<key>.wasm`, the key
 * being the sha256 of the source, the WIT files (paths and contents), the componentize-qjs version and the options.
 */
export async function componentCachePath(options: ComponentizeCachedOptions): Promise<string> {
  qjsVersion ??= (createRequire(import.meta.url)('componentize-qjs/package.json') as { version: string }).version;
  const hash = createHash('sha256').update(options.source);
  for (const file of await listWitFiles(options.witPath)) {
    hash.update(file.slice(options.witPath.length)).update(await readFile(file));
  }
  hash.update(`componentize-qjs@${qjsVersion} ${JSON.stringify(buildOptions(options))}`);
  return join(options.cacheDir, `${options.name}-${hash.digest('hex').slice(0, 20)}.wasm`);
}

function buildOptions(options: ComponentizeCachedOptions): { world: string; sync: boolean; stubWasi: boolean } {
  return { world: options.world, sync: options.sync ?? true, stubWasi: options.stubWasi ?? false };
}

/**
 * Builds a JavaScript app into a component with componentize-qjs (QuickJS), once: the component is cached under
 * `cacheDir` ({@link componentCachePath}), so a later call (or run) with the same inputs reads the file instead of
 * building (1-3 s). The file is written under a temporary name and renamed: a concurrent reader never sees half a
 * component.
 *
 * @example
 * ```ts
 * const hello = await componentizeCached({ name: 'hello', source, witPath: muWitPath, world: 'app', cacheDir });
 * await runtime.register('hello', { component: hello.bytes, sha256: hello.sha256 });
 * ```
 */
export async function componentizeCached(options: ComponentizeCachedOptions): Promise<CachedComponent> {
  const path = await componentCachePath(options);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch {
    // loaded only to build: importing the test kit loads no native module
    const { componentize } = await import('componentize-qjs');
    const result = await componentize({ witPath: options.witPath, jsSource: options.source, ...buildOptions(options) });
    bytes = new Uint8Array(result.component);
    await mkdir(options.cacheDir, { recursive: true });
    const staging = `${path}.${randomUUID()}.tmp`;
    await writeFile(staging, bytes);
    await rename(staging, path);
  }
  return { path, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}
