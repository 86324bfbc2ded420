// Builds a wasi:http/proxy component with componentize-js (StarlingMonkey) in its own process:
//   node build-starlingmonkey.mjs <source.js> <wit-dir> <out.wasm> [world]
// componentize-js imports @bytecodealliance/preview2-shim without declaring it; npm cannot hoist 0.26.0 to the
// root here (jco-std peers on ^0.25.0), so this process resolves it from this package's node_modules.

import { writeFile } from 'node:fs/promises';
import { register } from 'node:module';

const shim = new URL('../../node_modules/@bytecodealliance/preview2-shim/', import.meta.url).href;
register(
  `data:text/javascript,${encodeURIComponent(`
    export async function resolve(specifier, context, next) {
      if (specifier === '@bytecodealliance/preview2-shim' || specifier.startsWith('@bytecodealliance/preview2-shim/')) {
        return next(specifier, { ...context, parentURL: ${JSON.stringify(shim)} });
      }
      return next(specifier, context);
    }`)}`,
);
const [source, witPath, out, worldName = 'proxy'] = process.argv.slice(2);
const { componentize } = await import('@bytecodealliance/componentize-js');
const { component } = await componentize({ sourcePath: source, witPath, worldName });
await writeFile(out, component);
