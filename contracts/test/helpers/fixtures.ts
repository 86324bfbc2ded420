import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CompiledContract, compileContracts, contractsRoot, readSources } from '../../scripts/compile.js';

/**
 * The test-only contracts (test/fixtures/*.sol), compiled once and cached under .cache/ by the hash of their
 * sources and of the marketplace source the lens imports.
 */
export function loadFixtures(): Record<string, CompiledContract> {
  const hash = createHash('sha256')
    .update(JSON.stringify([readSources(true), readSources(false)]))
    .digest('hex')
    .slice(0, 16);
  const folder = join(contractsRoot, '.cache');
  const file = join(folder, `fixtures-${hash}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Record<string, CompiledContract>;
  const contracts = compileContracts(true);
  mkdirSync(folder, { recursive: true });
  writeFileSync(file, JSON.stringify(contracts));
  return contracts;
}
