import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The contracts folder (this file is contracts/scripts/compile.ts). */
export const contractsRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

const require = createRequire(import.meta.url);

/** The Solidity contracts shipped in the package, in the order they appear in the artifacts module. */
export const productionContracts = ['MuMarketplace', 'TestStablecoin'] as const;

/** Compiler settings: pinned with the solc package version, so the artifacts are reproducible. */
export const compilerSettings = {
  evmVersion: 'cancun',
  optimizer: { enabled: true, runs: 200 },
  // via-IR keeps MuMarketplace well under the 24,576-byte code size limit (legacy codegen: 24,547 bytes).
  viaIR: true,
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
} as const;

/** One compiled contract. */
export interface CompiledContract {
  abi: unknown[];
  bytecode: `0x${string}`;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string; sourceLocation?: { file: string } }[];
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
}

interface Solc {
  version(): string;
  compile(input: string, callbacks: { import(path: string): { contents: string } | { error: string } }): string;
}

function solidityFiles(folder: string): string[] {
  return readdirSync(folder)
    .filter((name) => name.endsWith('.sol'))
    .sort()
    .map((name) => join(folder, name));
}

/**
 * Reads the sources of the package (`solidity/`) or, with `fixtures`, the test contracts (`test/fixtures/`).
 * Keys are paths relative to the contracts folder, as solc sees them.
 */
export function readSources(fixtures = false): Record<string, { content: string }> {
  const files = solidityFiles(join(contractsRoot, fixtures ? 'test/fixtures' : 'solidity'));
  return Object.fromEntries(
    files.map((file) => [relative(contractsRoot, file), { content: readFileSync(file, 'utf8') }]),
  );
}

function resolveImport(path: string): { contents: string } | { error: string } {
  try {
    const local = join(contractsRoot, path);
    return { contents: readFileSync(existsSync(local) ? local : require.resolve(path), 'utf8') };
  } catch (error) {
    return { error: `cannot resolve ${path}: ${(error as Error).message}` };
  }
}

/** The solc version the package pins (solc-js bundles exactly one compiler). */
export function solcVersion(): string {
  return (require('solc') as Solc).version();
}

/**
 * A hash of everything the output depends on: compiler version, settings, our sources and the OpenZeppelin
 * version. The build skips compiling when the committed module carries the same hash.
 */
export function inputHash(): string {
  const openZeppelin = (require('@openzeppelin/contracts/package.json') as { version: string }).version;
  const solc = (require('solc/package.json') as { version: string }).version;
  return createHash('sha256')
    .update(JSON.stringify([solc, openZeppelin, compilerSettings, readSources(false)]))
    .digest('hex');
}

/**
 * Compiles the contracts offline with the pinned solc-js; OpenZeppelin imports resolve from node_modules.
 * @param fixtures Compile the test fixtures (`test/fixtures/*.sol`) instead of the package's contracts.
 * @returns Every contract by name.
 * @throws Error listing the compiler's errors.
 */
export function compileContracts(fixtures = false): Record<string, CompiledContract> {
  const solc = require('solc') as Solc;
  // Fixtures are small: the legacy pipeline compiles them in a fraction of the via-IR time.
  const settings = fixtures ? { ...compilerSettings, viaIR: false } : compilerSettings;
  const input = { language: 'Solidity', sources: readSources(fixtures), settings };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: resolveImport })) as SolcOutput;
  const errors = (output.errors ?? []).filter((entry) => entry.severity === 'error');
  if (errors.length > 0) {
    throw new Error(`solc failed:\n${errors.map((entry) => entry.formattedMessage).join('\n')}`);
  }
  // Only warnings in the files compiled for their own sake count: OpenZeppelin's transient-storage notice is
  // not ours to fix, and the marketplace a fixture imports is built by the legacy pipeline here (over the size
  // limit without via-IR, which the shipped build uses).
  const own = fixtures ? 'test/fixtures/' : 'solidity/';
  const warnings = (output.errors ?? []).filter(
    (entry) => entry.severity === 'warning' && (entry.sourceLocation?.file ?? own).startsWith(own),
  );
  if (warnings.length > 0) {
    throw new Error(`solc warnings must be fixed:\n${warnings.map((entry) => entry.formattedMessage).join('\n')}`);
  }
  const contracts: Record<string, CompiledContract> = {};
  for (const file of Object.values(output.contracts ?? {})) {
    for (const [name, contract] of Object.entries(file)) {
      contracts[name] = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
    }
  }
  return contracts;
}

/**
 * Renders the committed artifacts module: `<Name>Abi` (as const) and `<Name>Bytecode` for each shipped contract.
 * @param contracts The compiled contracts.
 * @param hash The input hash recorded in the header.
 */
export function renderArtifacts(contracts: Record<string, CompiledContract>, hash: string): string {
  const lines = [
    '// Generated by `npm run build -w contracts` (scripts/build.ts) from solidity/*.sol. Do not edit.',
    `// solc ${solcVersion()}, evmVersion ${compilerSettings.evmVersion}, optimizer runs ${compilerSettings.optimizer.runs}`,
    `// input-hash: ${hash}`,
    '',
  ];
  for (const name of productionContracts) {
    const contract = contracts[name];
    if (!contract) throw new Error(`solc produced no ${name}`);
    lines.push(`/** ABI of ${name}. */`);
    lines.push(`export const ${name}Abi = ${JSON.stringify(contract.abi, null, 2)} as const;`, '');
    lines.push(`/** Creation bytecode of ${name}. */`);
    lines.push(`export const ${name}Bytecode = '${contract.bytecode}' as const;`, '');
  }
  return lines.join('\n');
}
