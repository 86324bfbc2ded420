import { defineConfig } from 'tsup';
import { muTsup } from '../../tsup.base.ts';

// The guest and transpile workers are their own entries, built flat beside index.js: the runtime starts them with
// `new Worker(new URL('./worker.js', ...))` and `new Worker(new URL('./transpile-worker.js', ...))`.
export default defineConfig(
  muTsup({
    entry: {
      index: 'src/index.ts',
      worker: 'src/guest/worker.ts',
      'transpile-worker': 'src/transpile/transpile-worker.ts',
    },
  }),
);
