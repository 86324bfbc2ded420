import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { muWitPath } from '@mu/runtime';
import { componentizeCached } from '@mu/test-kit';

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
  const built = await componentizeCached({ name, source, witPath: muWitPath, world: 'app', cacheDir });
  return { name, ...built, size: built.bytes.length };
}
