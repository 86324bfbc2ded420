import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const contractsEntry = fileURLToPath(new URL('../../../contracts/src/index.ts', import.meta.url));
const nodeBuiltins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

async function bundle(stdin: string) {
  return build({
    stdin: { contents: stdin, resolveDir: fileURLToPath(new URL('..', import.meta.url)), loader: 'ts' },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'mu',
    write: false,
    metafile: true,
    logLevel: 'silent',
    // The sibling's source, as in the vitest aliases: no build of @mu/contracts needed.
    alias: { '@mu/contracts': contractsEntry },
  });
}

describe('browser bundle', () => {
  it('bundles the package entry for platform browser with no Node built-ins', async () => {
    const result = await bundle(`export * from ${JSON.stringify(entry)};`);
    expect(result.errors).toEqual([]);
    const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports);
    expect(imports.filter((item) => item.external || nodeBuiltins.has(item.path))).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((path) => path.includes('@noble/curves'))).toBe(true);
    expect(inputs.some((path) => path.includes('ethers'))).toBe(true);
  });

  it('runs the crypto round trip in a context with only web globals', async () => {
    const result = await bundle(`
      import { generateEncryptionKey, encryptJobSpec, decryptJobSpec } from ${JSON.stringify(entry)};
      export function roundTrip(spec, context) {
        const key = generateEncryptionKey();
        return decryptJobSpec(encryptJobSpec(spec, key.publicKey, context), key.privateKey, context);
      }
    `);
    const code = result.outputFiles[0]!.text;
    // No `process`, `Buffer` or `require` here: what a browser page offers (crypto, TextEncoder/Decoder, URL).
    const sandbox: Record<string, unknown> = { crypto: globalThis.crypto, TextEncoder, TextDecoder, URL };
    runInNewContext(`${code}\nglobalThis.mu = mu;`, sandbox);
    const spec = {
      version: 1,
      name: 'in-browser',
      code: { sha256: 'a'.repeat(64), url: 'https://example.com/app.wasm', size: 10 },
      env: {},
      limits: { memoryMb: 64, timeoutMs: 1000, maxBodyBytes: 1024 },
    };
    const context = {
      chainId: 1n,
      contract: `0x${'11'.repeat(20)}`,
      client: `0x${'22'.repeat(20)}`,
      provider: `0x${'33'.repeat(20)}`,
    };
    const mu = sandbox.mu as { roundTrip: (spec: unknown, context: unknown) => unknown };
    expect(JSON.parse(JSON.stringify(mu.roundTrip(spec, context)))).toEqual(spec);
  });
});
