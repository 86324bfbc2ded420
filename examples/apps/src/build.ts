import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { muWitPath } from '@mu/runtime';

/** The example apps, each a JavaScript source under `apps/` built against the Mu world. */
export const APP_NAMES = ['hello', 'counter', 'todo'] as const;

/** One of {@link APP_NAMES}. */
export type AppName = (typeof APP_NAMES)[number];

/** A built app: the component's bytes and what a job spec says about them. */
export interface BuiltApp {
  name: AppName;
  /** The component on disk (under the gitignored `.cache/`). */
  path: string;
  bytes: Uint8Array;
  /** sha256 of the bytes, lowercase hex: the spec's `code.sha256`. */
  sha256: string;
  /** The spec's `code.size`. */
  size: number;
}

/** Options of {@link buildApp}. */
export interface BuildOptions {
  /** Where built components are kept (default `examples/apps/.cache/`). */
  cacheDir?: string;
}

const packageRoot = fileURLToPath(new URL('../', import.meta.url));
/** Where the app sources are. */
export const appsSourceDir: string = join(packageRoot, 'apps');
const defaultCacheDir = join(packageRoot, '.cache');
const BUILD_OPTIONS = { world: 'app', sync: true, stubWasi: false } as const;

async function witFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.wit'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

function qjsVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('componentize-qjs/package.json') as { version: string }).version;
}

const building = new Map<string, Promise<BuiltApp>>();

/**
 * Builds one example app to a Mu-world component with componentize-qjs (QuickJS), once: the result is cached
 * under `.cache/`, keyed by the sha256 of the source, the WIT, the componentize-qjs version and the options,
 * so a later call (or run) with the same inputs reads the file instead of building (about 1-3 s per app).
 *
 * @throws {TypeError} for a name that is not one of {@link APP_NAMES}.
 * @example
 * ```ts
 * const counter = await buildApp('counter');
 * console.log(counter.sha256, counter.size);
 * ```
 */
export function buildApp(name: AppName, options: BuildOptions = {}): Promise<BuiltApp> {
  if (!APP_NAMES.includes(name))
    throw new TypeError(`name must be one of ${APP_NAMES.join(', ')}; got ${String(name)}.`);
  const cacheDir = options.cacheDir ?? defaultCacheDir;
  const id = `${cacheDir}\0${name}`;
  let pending = building.get(id);
  if (pending === undefined) {
    pending = build(name, cacheDir);
    building.set(id, pending);
    pending.catch(() => building.delete(id));
  }
  return pending;
}

/**
 * Builds every example app (one after the other: each build takes a core and ~0.2 GB).
 *
 * @example
 * ```ts
 * const apps = await buildApps();
 * console.log(apps.hello.size);
 * ```
 */
export async function buildApps(options: BuildOptions = {}): Promise<Record<AppName, BuiltApp>> {
  const built: Partial<Record<AppName, BuiltApp>> = {};
  for (const name of APP_NAMES) built[name] = await buildApp(name, options);
  return built as Record<AppName, BuiltApp>;
}

async function build(name: AppName, cacheDir: string): Promise<BuiltApp> {
  const source = await readFile(join(appsSourceDir, `${name}.js`), 'utf8');
  const hash = createHash('sha256').update(source);
  for (const file of await witFiles(muWitPath)) hash.update(file.slice(muWitPath.length)).update(await readFile(file));
  hash.update(`componentize-qjs@${qjsVersion()} ${JSON.stringify(BUILD_OPTIONS)}`);
  const path = join(cacheDir, `${name}-${hash.digest('hex').slice(0, 20)}.wasm`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch {
    const { componentize } = await import('componentize-qjs');
    const result = await componentize({ witPath: muWitPath, jsSource: source, ...BUILD_OPTIONS });
    bytes = new Uint8Array(result.component);
    await mkdir(cacheDir, { recursive: true });
    // write then rename: a concurrent reader never sees half a component
    const staging = `${path}.${randomUUID()}.tmp`;
    await writeFile(staging, bytes);
    await rename(staging, path);
  }
  return { name, path, bytes, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
}
