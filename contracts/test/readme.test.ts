import { importSnippet, readmeSnippet } from '@mu/test-kit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Chain, startAnvil } from './helpers/chain.js';

let chain: Chain;

beforeAll(async () => {
  chain = await startAnvil({ accounts: 3 });
});

afterAll(async () => {
  await chain?.stop();
});

describe('README', () => {
  it('runs its first ts example against a real chain and credits the provider 293 base units', async () => {
    vi.stubEnv('RPC_URL', chain.url);
    vi.stubEnv('ADMIN_KEY', chain.wallets[0]!.privateKey);
    vi.stubEnv('PROVIDER_KEY', chain.wallets[1]!.privateKey);
    vi.stubEnv('CLIENT_KEY', chain.wallets[2]!.privateKey);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const snippet = await importSnippet(
        new URL('..', import.meta.url),
        readmeSnippet(new URL('../README.md', import.meta.url)),
      );
      expect(snippet.credit).toBe(293n);
      expect(log).toHaveBeenLastCalledWith(293n);
    } finally {
      log.mockRestore();
      vi.unstubAllEnvs();
    }
  });
});
