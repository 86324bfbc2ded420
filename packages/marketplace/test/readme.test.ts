import { importSnippet, readmeSnippet } from '@mu/test-kit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type MarketFixture, startMarket } from './fixtures/market.js';

let fixture: MarketFixture;

beforeAll(async () => {
  fixture = await startMarket({ multicall: true });
});

afterAll(async () => {
  await fixture?.stop();
});

describe('README', () => {
  it('runs its first ts example against the seeded market', async () => {
    vi.stubEnv('RPC_URL', fixture.anvil.url);
    vi.stubEnv('MARKETPLACE', fixture.market.marketplace);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await importSnippet(new URL('..', import.meta.url), readmeSnippet(new URL('../README.md', import.meta.url)));
      expect(log.mock.calls[0]).toEqual([['eu-west', 'us-east', 'ap-south']]);
      const listed = log.mock.calls.slice(1, 5);
      expect(listed.map((call) => call[0]).sort()).toEqual([
        'Alpine Compute',
        'Borealis Cloud',
        'Cumulus Edge',
        'Echo Systems',
      ]);
      const costs = listed.map((call) => call[2] as bigint);
      expect([...costs].sort((a, b) => (a < b ? -1 : 1))).toEqual(costs);
      const [charged, perHour, secondsLeft] = log.mock.calls[5]!;
      expect(typeof charged).toBe('bigint');
      expect((charged as bigint) > 0n && (perHour as bigint) > 0n && (secondsLeft as bigint) > 0n).toBe(true);
    } finally {
      log.mockRestore();
      vi.unstubAllEnvs();
    }
  });
});
