import { defineConfig } from 'tsup';
import { muTsup } from '../../tsup.base.ts';

// Two entries: the library (`src/index.ts`) and the `mu` executable (`src/bin.ts`, keeps its hashbang).
export default defineConfig(muTsup({ entry: { index: 'src/index.ts', bin: 'src/bin.ts' }, splitting: true }));
