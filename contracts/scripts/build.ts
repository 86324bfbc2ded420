import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { compileContracts, contractsRoot, inputHash, renderArtifacts } from './compile.js';

// The package build, incremental so that `npm test` (which builds every workspace first) stays quick:
// 1. src/generated/artifacts.ts is regenerated only when its `input-hash` header differs from the hash of the
//    Solidity sources, compiler version and settings (a test always recompiles and compares);
// 2. tsup runs only when a file it reads is newer than dist/.
// `--force` does both unconditionally.
const force = process.argv.includes('--force');
const started = performance.now();

const artifacts = join(contractsRoot, 'src/generated/artifacts.ts');
const hash = inputHash();
const current = existsSync(artifacts) ? readFileSync(artifacts, 'utf8') : '';
if (force || !current.includes(`// input-hash: ${hash}\n`)) {
  const rendered = renderArtifacts(compileContracts(), hash);
  mkdirSync(join(contractsRoot, 'src/generated'), { recursive: true });
  writeFileSync(artifacts, rendered);
  console.log(`contracts: compiled solidity/ → src/generated/artifacts.ts`);
}

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}
const outputs = ['dist/index.js', 'dist/index.d.ts'].map((file) => join(contractsRoot, file));
const inputs = ['src', 'package.json', 'tsup.config.ts', '../tsup.base.ts'].map((file) => join(contractsRoot, file));
const built = outputs.every(existsSync) ? Math.min(...outputs.map((file) => statSync(file).mtimeMs)) : 0;
if (force || Math.max(...inputs.map(newest)) >= built) {
  const tsup = join(createRequire(import.meta.url).resolve('tsup/package.json'), '..', 'dist', 'cli-default.js');
  execFileSync(process.execPath, [tsup], { cwd: contractsRoot, stdio: 'inherit' });
} else {
  console.log('contracts: dist up to date');
}
console.log(`contracts: build done in ${Math.round(performance.now() - started)} ms`);
