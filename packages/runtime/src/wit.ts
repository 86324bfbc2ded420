import { fileURLToPath } from 'node:url';

/**
 * The folder of the Mu world's WIT shipped with this package (`mu:app@0.1.0`, world `app`, with
 * wasi:keyvalue 0.2.0-draft2 under `deps/`). Point a guest toolchain at it.
 *
 * @example
 * ```ts
 * import { componentize } from 'componentize-qjs';
 * await componentize({ witPath: muWitPath, world: 'app', jsSource, sync: true });
 * ```
 */
export const muWitPath: string = fileURLToPath(new URL('../wit/', import.meta.url));
