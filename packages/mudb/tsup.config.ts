import { defineConfig } from 'tsup';
import { muTsup } from '../../tsup.base.ts';

// Splitting keeps one copy of the store's classes shared by every entry.
export default defineConfig(
  muTsup({
    entry: {
      index: 'src/index.ts',
      conformance: 'src/conformance.ts',
      postgres: 'src/postgres/index.ts',
      server: 'src/server/index.ts',
      cli: 'src/server/cli.ts',
    },
    splitting: true,
  }),
);
