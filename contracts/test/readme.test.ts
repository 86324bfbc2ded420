import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { contractsRoot } from '../scripts/compile.js';
import { type Chain, startAnvil } from './helpers/chain.js';

let chain: Chain;

beforeAll(async () => {
  chain = await startAnvil({ accounts: 3 });
});

afterAll(async () => {
  await chain?.stop();
});

describe('README', () => {
  it('runs its first ts example against a real chain and prints the provider credit', async () => {
    const readme = readFileSync(join(contractsRoot, 'README.md'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const source = block!.replace("from '@mu/contracts'", `from '${join(contractsRoot, 'src/index.ts')}'`);
    const folder = join(contractsRoot, '.cache');
    mkdirSync(folder, { recursive: true });
    const file = join(folder, 'readme-example.ts');
    writeFileSync(file, source);
    vi.stubEnv('RPC_URL', chain.url);
    vi.stubEnv('ADMIN_KEY', chain.wallets[0]!.privateKey);
    vi.stubEnv('PROVIDER_KEY', chain.wallets[1]!.privateKey);
    vi.stubEnv('CLIENT_KEY', chain.wallets[2]!.privateKey);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await import(pathToFileURL(file).href);
      expect(log).toHaveBeenLastCalledWith(293n);
    } finally {
      log.mockRestore();
      vi.unstubAllEnvs();
    }
  });
});
