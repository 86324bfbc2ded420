import { defineConfig } from 'tsup';
import { muTsup } from '../../tsup.base.ts';

// The guest and transpile workers are their own entries: the runtime starts them with
// `new Worker(new URL('./worker.js', ...))` and `new Worker(new URL('./transpile-worker.js', ...))`.
export default defineConfig(muTsup({ entry: ['src/index.ts', 'src/worker.ts', 'src/transpile-worker.ts'] }));
