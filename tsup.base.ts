import type { Options } from 'tsup';

/**
 * The one tsup config every package re-exports (a later move to tsdown is one change here).
 * ESM only, declarations, no bundling of dependencies.
 */
export function muTsup(overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    dts: { compilerOptions: { composite: false, incremental: false } },
    sourcemap: true,
    clean: true,
    splitting: false,
    treeshake: true,
    ...overrides,
  };
}
