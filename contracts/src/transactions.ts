import type { Provider, TransactionReceipt } from 'ethers';

/**
 * Waits for a transaction to be mined by polling `eth_getTransactionReceipt` (the ethers transaction receipt;
 * execution receipts a node signs are `@mu/contract-client`'s `signReceipt`).
 *
 * ethers' own `tx.wait()` / `waitForDeployment()` wait for a *new* block after reading the block number; on an
 * automining chain (anvil) the transaction's block can be mined between those two reads, and no later block
 * ever comes: under load the wait hangs. Polling the receipt has no such race.
 * @param provider The provider the transaction was sent through.
 * @param hash The transaction hash.
 * @param options `intervalMs` between polls (default: the provider's `pollingInterval`, at most 1000 ms) and
 *   `timeoutMs` (default 120,000).
 * @returns The receipt (whatever its status).
 * @throws Error when no receipt arrives within `timeoutMs`.
 * @example
 * ```ts
 * const tx = await marketplace.getFunction('withdraw')();
 * const receipt = await waitForTransaction(provider, tx.hash);
 * ```
 */
export async function waitForTransaction(
  provider: Provider,
  hash: string,
  options: { intervalMs?: number; timeoutMs?: number } = {},
): Promise<TransactionReceipt> {
  const polling = (provider as { pollingInterval?: number }).pollingInterval;
  const interval = options.intervalMs ?? Math.min(typeof polling === 'number' ? polling : 1000, 1000);
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const receipt = await provider.getTransactionReceipt(hash);
    if (receipt) return receipt;
    if (Date.now() > deadline) throw new Error(`no receipt for ${hash} after ${options.timeoutMs ?? 120_000} ms`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
