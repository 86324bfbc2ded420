import { type BytesInput, toHex, toUint } from './bytes.js';
import { type MuClient, sendTransaction, type WriteResult } from './client.js';
import { checkAddress } from './eip712.js';
import { checkPublicKey } from './encryption-key.js';
import { normalizePrices, type PricesInput } from './prices.js';

function send(client: MuClient, method: string, args: readonly unknown[] = []): Promise<WriteResult> {
  return sendTransaction(client, client.marketplace, method, args);
}

/**
 * Registers the signer as a provider with its encryption key, metadata URI and deposit (pulled with
 * `transferFrom`: approve the marketplace first with `approveToken`).
 *
 * @throws {TypeError} when the key is not a secp256k1 public key (checked locally, before the transaction).
 * @throws {MuContractError} e.g. `CONTRACT_ALREADY_REGISTERED`, `CONTRACT_DEPOSIT_BELOW_MINIMUM`, `CONTRACT_ERC20_INSUFFICIENT_ALLOWANCE`.
 * @example
 * ```ts
 * await registerProvider(client, { encryptionKey: key.publicKey, metadataURI: 'https://p.example', deposit: 100_000_000n });
 * ```
 */
export async function registerProvider(
  client: MuClient,
  args: { encryptionKey: BytesInput; metadataURI: string; deposit: bigint | number },
): Promise<WriteResult> {
  if (typeof args?.metadataURI !== 'string') throw new TypeError('metadataURI must be a string.');
  const key = toHex(checkPublicKey(args.encryptionKey, 'encryptionKey'));
  return send(client, 'registerProvider', [key, args.metadataURI, toUint(args.deposit, 256, 'deposit')]);
}

/**
 * Replaces the signer's encryption key and metadata URI (new jobs use the new key).
 *
 * @example
 * ```ts
 * await updateProvider(client, { encryptionKey: generateEncryptionKey().publicKey, metadataURI: 'https://p.example' });
 * ```
 */
export async function updateProvider(
  client: MuClient,
  args: { encryptionKey: BytesInput; metadataURI: string },
): Promise<WriteResult> {
  if (typeof args?.metadataURI !== 'string') throw new TypeError('metadataURI must be a string.');
  const key = toHex(checkPublicKey(args.encryptionKey, 'encryptionKey'));
  return send(client, 'updateProvider', [key, args.metadataURI]);
}

/**
 * Adds to the signer's provider deposit (approve first).
 *
 * @example
 * ```ts
 * await addDeposit(client, { amount: 50_000_000n });
 * ```
 */
export async function addDeposit(client: MuClient, args: { amount: bigint | number }): Promise<WriteResult> {
  return send(client, 'addDeposit', [toUint(args?.amount, 256, 'amount')]);
}

/**
 * Moves part of the deposit to unbonding; withdraw it with {@link withdrawDeposit} after the delay.
 *
 * @example
 * ```ts
 * await startUnbonding(client, { amount: 50_000_000n });
 * ```
 */
export async function startUnbonding(client: MuClient, args: { amount: bigint | number }): Promise<WriteResult> {
  return send(client, 'startUnbonding', [toUint(args?.amount, 256, 'amount')]);
}

/**
 * Withdraws the unbonded deposit once the delay has passed.
 *
 * @example
 * ```ts
 * await withdrawDeposit(client);
 * ```
 */
export async function withdrawDeposit(client: MuClient): Promise<WriteResult> {
  return send(client, 'withdrawDeposit');
}

/**
 * Opens or updates the signer's offer in a region: gateway URL and prices (copied into new jobs).
 *
 * @example
 * ```ts
 * await setOffer(client, { region: 1, gatewayURL: 'https://eu.example', prices: { perRequest: 1_000n, perCpuMs: 10n,
 *   perMemoryMbMs: 0n, perKvRead: 0n, perKvWrite: 0n, perEgressByte: 0n } });
 * ```
 */
export async function setOffer(
  client: MuClient,
  args: { region: number; gatewayURL: string; prices: PricesInput },
): Promise<WriteResult> {
  if (typeof args?.gatewayURL !== 'string') throw new TypeError('gatewayURL must be a string.');
  const prices = normalizePrices(args.prices);
  return send(client, 'setOffer', [toUint(args.region, 32, 'region'), args.gatewayURL, prices]);
}

/**
 * Closes the signer's offer in a region to new jobs.
 *
 * @example
 * ```ts
 * await closeOffer(client, { region: 1 });
 * ```
 */
export async function closeOffer(client: MuClient, args: { region: number }): Promise<WriteResult> {
  return send(client, 'closeOffer', [toUint(args?.region, 32, 'region')]);
}

/**
 * Revokes every certificate the signer (a provider) issued for a node.
 *
 * @example
 * ```ts
 * await revokeNode(client, { node: lostNode.address });
 * ```
 */
export async function revokeNode(client: MuClient, args: { node: string }): Promise<WriteResult> {
  return send(client, 'revokeNode', [checkAddress(args?.node, 'node')]);
}

/**
 * Withdraws the signer's credits (provider earnings, slash rewards).
 *
 * @example
 * ```ts
 * await withdrawCredits(client);
 * ```
 */
export async function withdrawCredits(client: MuClient): Promise<WriteResult> {
  return send(client, 'withdraw');
}
