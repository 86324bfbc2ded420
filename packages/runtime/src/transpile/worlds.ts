import { MissingExportError, UnsupportedImportError, WrongWorldError } from '../errors.js';

/** The worlds a component may target. */
export type World = 'mu' | 'wasi-http';

/**
 * WASI 0.2 interfaces the node provides to every guest. They exist because guest language runtimes
 * (QuickJS, wasi-libc) import them; none reaches the host: no preopened directory (so no filesystem),
 * no environment variables or arguments, stdout/stderr go to the job's log, stdin is empty.
 */
const WASI_BASE = [
  'wasi:cli/environment',
  'wasi:cli/exit',
  'wasi:cli/stdin',
  'wasi:cli/stdout',
  'wasi:cli/stderr',
  'wasi:cli/terminal-input',
  'wasi:cli/terminal-output',
  'wasi:cli/terminal-stdin',
  'wasi:cli/terminal-stdout',
  'wasi:cli/terminal-stderr',
  'wasi:clocks/monotonic-clock',
  'wasi:clocks/wall-clock',
  'wasi:io/error',
  'wasi:io/poll',
  'wasi:io/streams',
  'wasi:random/random',
  'wasi:random/insecure',
  'wasi:random/insecure-seed',
  'wasi:filesystem/types',
  'wasi:filesystem/preopens',
] as const;

/** MuDB, as wasi:keyvalue 0.2.0-draft2. */
const KEYVALUE = ['wasi:keyvalue/store', 'wasi:keyvalue/atomics', 'wasi:keyvalue/batch'] as const;

/** Interfaces the Mu world may import (unversioned names, as jco reports them). */
export const MU_WORLD_IMPORTS: ReadonlySet<string> = new Set<string>([
  ...WASI_BASE,
  ...KEYVALUE,
  'mu:app/types',
  'mu:app/log',
  'mu:app/config',
]);

/** Interfaces the wasi:http/proxy world may import: outbound requests are refused at run time (`HTTP-request-denied`). */
export const WASI_HTTP_WORLD_IMPORTS: ReadonlySet<string> = new Set<string>([
  ...WASI_BASE,
  ...KEYVALUE,
  'wasi:http/types',
  'wasi:http/outgoing-handler',
]);

/** Versions the node implements, where the shape changed between versions. */
const REQUIRED_VERSIONS: Record<string, RegExp> = {
  'wasi:keyvalue/': /@0\.2\.0-draft2$/,
  'mu:app/': /@0\.1\.\d+$/,
  'wasi:': /@0\.2\.\d+$/,
};

/** What registration learns about a component. */
export interface ComponentShape {
  world: World;
  /** Imported interfaces, unversioned. */
  imports: string[];
  /** Imported interfaces with their versions (from the generated bindings). */
  versionedImports: string[];
}

/**
 * Decides a component's world from its exports and checks its imports against what the node provides.
 * @throws WrongWorldError, MissingExportError, UnsupportedImportError
 */
export function classifyComponent(
  imports: readonly string[],
  exports: readonly string[],
  versionedImports: readonly string[],
): ComponentShape {
  let world: World;
  if (exports.some((name) => name.startsWith('wasi:http/incoming-handler'))) world = 'wasi-http';
  else if (exports.includes('handle')) world = 'mu';
  else if (imports.some((name) => name.startsWith('mu:app/'))) throw new MissingExportError('handle');
  else throw new WrongWorldError(exports);
  const provided = world === 'mu' ? MU_WORLD_IMPORTS : WASI_HTTP_WORLD_IMPORTS;
  const unsupported = imports.filter((name) => !provided.has(name));
  for (const name of versionedImports) {
    const rule = Object.entries(REQUIRED_VERSIONS).find(([prefix]) => name.startsWith(prefix));
    if (rule !== undefined && !rule[1].test(name)) unsupported.push(name);
  }
  if (unsupported.length > 0) throw new UnsupportedImportError(unsupported);
  return { world, imports: [...imports], versionedImports: [...versionedImports] };
}
