import { defineConfig } from 'tsup';
import { muTsup } from '../../tsup.base.ts';

// The guest worker is its own entry: the runtime starts it with `new Worker(new URL('./worker.js', ...))`.
export default defineConfig(muTsup({ entry: ['src/index.ts', 'src/worker.ts'] }));
