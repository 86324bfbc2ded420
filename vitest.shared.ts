import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineProject, type UserWorkspaceConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

const sources: Record<string, string> = {
  ...Object.fromEntries(
    readdirSync(`${root}packages`).map((name) => [`@mu/${name}`, `${root}packages/${name}/src/index.ts`]),
  ),
  '@mu/contracts': `${root}contracts/src/index.ts`,
};

/**
 * Tests import sibling packages from source (`@mu/mudb` → `packages/mudb/src/index.ts`), so a change in one
 * package is seen by the others without a rebuild. Only main entries are aliased (exact match); subpath
 * exports (`@mu/mudb/postgres`) resolve through node_modules to the built `dist`.
 */
export const workspaceAliases: Array<{ find: RegExp; replacement: string }> = Object.entries(sources).map(
  ([name, path]) => ({ find: new RegExp(`^${name.replace('/', '\\/')}$`), replacement: path }),
);

/** The vitest project config every package uses: its name, its tests, the source aliases. */
export function muProject(name: string, overrides: UserWorkspaceConfig['test'] = {}): UserWorkspaceConfig {
  return defineProject({
    resolve: { alias: workspaceAliases },
    test: {
      name,
      include: ['test/**/*.test.ts'],
      testTimeout: 30_000,
      hookTimeout: 120_000,
      ...overrides,
    },
  });
}
