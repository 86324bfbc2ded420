// The browser size budget: what a dapp's bundler adds for `@mu/marketplace`, minified and gzipped, with ethers
// left out (a peer dependency the dapp already has). Run after `npm run build`. The bundle is built for
// `platform: browser`, so a Node built-in (`node:fs`...) in the package fails this check too, and so does an import
// of @mu/contract-client (an optional peer for `./devnet` only: a dapp does not install it).
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const BUDGET = 15 * 1024;

async function measure(external: string[]): Promise<{ minified: number; gzipped: number; inputs: string[] }> {
  const result = await build({
    entryPoints: [new URL('../dist/index.js', import.meta.url).pathname],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    external,
    logLevel: 'silent',
    metafile: true,
  });
  const code = result.outputFiles[0]!.contents;
  return {
    minified: code.length,
    gzipped: gzipSync(code, { level: 9 }).length,
    inputs: Object.keys(result.metafile.inputs),
  };
}

const withAbi = await measure(['ethers']);
const withoutAbi = await measure(['ethers', '@mu/contracts']);
const kB = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;
console.log(`@mu/marketplace, min+gzip, without ethers:`);
console.log(`  with @mu/contracts' ABI:    ${kB(withAbi.gzipped)} (${kB(withAbi.minified)} minified)`);
console.log(`  without @mu/contracts' ABI: ${kB(withoutAbi.gzipped)} (${kB(withoutAbi.minified)} minified)`);
console.log(`  budget: ${kB(BUDGET)} for the whole (package + ABI)`);
const clientFiles = withAbi.inputs.filter((path) => path.includes('contract-client'));
if (clientFiles.length > 0) {
  console.error(`The main entry bundles @mu/contract-client (${clientFiles[0]}): only ./devnet may import it.`);
  process.exit(1);
}
if (withAbi.gzipped > BUDGET) {
  console.error(`Over budget by ${kB(withAbi.gzipped - BUDGET)}.`);
  process.exit(1);
}
