/** Messages between the main thread and the transpile thread, and the jco options both sides agree on. */

/** The jco options of every transpilation (exported for tests that compare the glue with and without our patches). */
export const TRANSPILE_OPTIONS = {
  name: 'app',
  instantiation: 'sync',
  base64Cutoff: 0,
  noComponentErrorWrapping: false,
  nodejsCompat: false,
  tlaCompat: false,
  minify: false,
  optimize: false,
  emitTypescriptDeclarations: true,
} as const;

export interface TranspileJob {
  id: number;
  bytes: Uint8Array;
}

/** The output files (`app.js` already patched, as text; the rest bytes), imports and export names. */
export type TranspileResult =
  | { id: number; ok: true; files: [string, Uint8Array | string][]; imports: string[]; exports: string[] }
  | { id: number; ok: false; message: string };
