import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * How to start one of the runtime's worker scripts (`worker` or `transpile-worker`): the built `.js` next to this
 * module, or, when running from source (tests), the `.ts` through tsx (a dev dependency).
 */
export function workerEntry(name: 'worker' | 'transpile-worker'): { url: URL | string; eval: boolean } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const tsx = createRequire(here)
      .resolve('tsx/esm/api')
      .replace(/index\.cjs$/, 'index.mjs');
    const url = new URL(`./${name}.ts`, here).href;
    const code = `import(${JSON.stringify(pathToFileURL(tsx).href)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); });`;
    return { url: code, eval: true };
  }
  return { url: new URL(`./${name}.js`, here), eval: false };
}
