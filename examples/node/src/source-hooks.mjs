// Module resolution hook (see use-sources.mjs): `@mu/<package>` maps to `packages/<package>/src/index.ts`
// (`@mu/contracts` to `contracts/src/index.ts`), and a subpath `@mu/<package>/<name>` to `src/<name>.ts` or
// `src/<name>/index.ts` when that file exists; everything else resolves as usual.
import { existsSync } from 'node:fs';

const root = new URL('../../../', import.meta.url);

export async function resolve(specifier, context, nextResolve) {
  const match = /^@mu\/([a-z0-9-]+)(?:\/([a-z0-9-]+))?$/.exec(specifier);
  if (match) {
    const [, name, subpath] = match;
    const base = name === 'contracts' ? new URL('contracts/src/', root) : new URL(`packages/${name}/src/`, root);
    const candidates = subpath === undefined ? ['index.ts'] : [`${subpath}.ts`, `${subpath}/index.ts`];
    for (const candidate of candidates) {
      const source = new URL(candidate, base);
      if (existsSync(source)) return { url: source.href, format: 'module', shortCircuit: true };
    }
  }
  return nextResolve(specifier, context);
}
