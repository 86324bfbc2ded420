import { defineConfig } from 'vitest/config';

/**
 * One vitest run for the whole repository: every package and example keeps its own
 * `vitest.config.ts` (built on `vitest.shared.ts`), listed here as a project.
 */
export default defineConfig({
  test: {
    projects: ['{packages/*,contracts,examples/*}/vitest.config.ts'],
  },
});
