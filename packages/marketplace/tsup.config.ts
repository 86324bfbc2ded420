import { defineConfig } from 'tsup';
import { muTsup } from '../../tsup.base.ts';

// Browser code: ES2022 for evergreen browsers, not only Node; `devnet` is its own entry so the main one stays small.
export default defineConfig(
  muTsup({
    entry: { index: 'src/index.ts', devnet: 'src/devnet.ts' },
    target: 'es2022',
    platform: 'neutral',
  }),
);
