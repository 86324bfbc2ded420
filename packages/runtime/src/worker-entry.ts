import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The sources of the runtime's worker scripts, relative to this module (tsup builds each to `dist/<name>.js`). */
const WORKER_SOURCES = {
  worker: './guest/worker.ts',
  'transpile-worker': './transpile/transpile-worker.ts',
} as const;

/**
 * How to start one of the runtime's worker scripts (`worker`: a guest thread, `transpile-worker`: the transpile
 * thread): the built `.js` next to this module (bundled into `dist/index.js`), or, when running from source
 * (tests), the `.ts` through tsx (a dev dependency).
 */
export function workerEntry(name: keyof typeof WORKER_SOURCES): { url: URL | string; eval: boolean } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const tsx = createRequire(here)
      .resolve('tsx/esm/api')
      .replace(/index\.cjs$/, 'index.mjs');
    const url = new URL(WORKER_SOURCES[name], here).href;
    const code = `import(${JSON.stringify(pathToFileURL(tsx).href)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); });`;
    return { url: code, eval: true };
  }
  return { url: new URL(`./${name}.js`, here), eval: false };
}
