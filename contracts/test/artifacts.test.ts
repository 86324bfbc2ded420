import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compileContracts, contractsRoot, inputHash, renderArtifacts } from '../scripts/compile.js';
import { MuMarketplaceAbi, MuMarketplaceBytecode, TestStablecoinAbi } from '../src/index.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

describe('the committed artifacts module', () => {
  it('is exactly what the pinned solc produces from the current sources (not stale)', () => {
    const committed = readFileSync(join(contractsRoot, 'src/generated/artifacts.ts'), 'utf8');
    // solc output is a pure function of the hashed inputs: a fresh compile is cached under .cache/ by that hash,
    // so the first run (and CI) compiles; a hand-edited committed file or a changed renderer still fails.
    const hash = inputHash();
    const cached = join(contractsRoot, '.cache', `solc-output-${hash.slice(0, 16)}.json`);
    if (!existsSync(cached)) {
      mkdirSync(join(contractsRoot, '.cache'), { recursive: true });
      writeFileSync(cached, JSON.stringify(compileContracts()));
    }
    const contracts = JSON.parse(readFileSync(cached, 'utf8')) as ReturnType<typeof compileContracts>;
    expect(committed).toBe(renderArtifacts(contracts, hash));
  }, 120_000);

  it('exports the ABIs with the protocol entry points and a deployable bytecode', () => {
    const functions = MuMarketplaceAbi.filter((entry) => entry.type === 'function').map((entry) => entry.name);
    for (const name of ['createJob', 'createJobWithPermit', 'settleUsage', 'proveEquivocation', 'getRegionOffers']) {
      expect(functions).toContain(name);
    }
    expect(TestStablecoinAbi.some((entry) => entry.type === 'function' && entry.name === 'permit')).toBe(true);
    expect(MuMarketplaceBytecode).toMatch(/^0x[0-9a-f]{2000,}$/);
  });
});

describe('solhint', () => {
  it('passes on every Solidity file with no warning', async () => {
    const bin = join(require.resolve('solhint/package.json'), '..', 'solhint.js');
    const { stdout } = await run(
      process.execPath,
      [bin, '--disc', '--max-warnings', '0', '-c', '.solhint.json', 'solidity/**/*.sol', 'test/fixtures/**/*.sol'],
      { cwd: contractsRoot },
    ).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(`solhint failed:\n${error.stdout}\n${error.stderr}`);
    });
    expect(stdout).not.toMatch(/error|warning/i);
  }, 60_000);
});
