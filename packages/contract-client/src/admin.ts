import { toUint } from './bytes.js';
import { findEvent, type MuClient, sendTransaction, type WriteResult } from './client.js';
import { checkAddress } from './eip712.js';

function send(client: MuClient, method: string, args: readonly unknown[] = []): Promise<WriteResult> {
  return sendTransaction(client, client.marketplace, method, args);
}

/**
 * Admin: creates a region (ids are sequential from 1).
 *
 * @throws {MuContractError} `CONTRACT_OWNABLE_UNAUTHORIZED_ACCOUNT`, `CONTRACT_EMPTY_STRING`, `CONTRACT_STRING_TOO_LONG`.
 * @example
 * ```ts
 * const { region } = await createRegion(adminClient, { name: 'eu-west' });
 * ```
 */
export async function createRegion(
  client: MuClient,
  args: { name: string },
): Promise<WriteResult & { region: number }> {
  if (typeof args?.name !== 'string') throw new TypeError('name must be a string.');
  const result = await send(client, 'createRegion', [args.name]);
  return { ...result, region: Number(findEvent(result, 'RegionCreated')?.args.region) };
}

/**
 * Admin: sets the treasury that receives protocol fees.
 *
 * @example
 * ```ts
 * await setTreasury(adminClient, { treasury: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' });
 * ```
 */
export async function setTreasury(client: MuClient, args: { treasury: string }): Promise<WriteResult> {
  return send(client, 'setTreasury', [checkAddress(args?.treasury, 'treasury')]);
}

/**
 * Admin: sets the protocol fee in basis points (at most `MAX_PROTOCOL_FEE_BPS`).
 *
 * @example
 * ```ts
 * await setProtocolFee(adminClient, { bps: 250 });
 * ```
 */
export async function setProtocolFee(client: MuClient, args: { bps: number }): Promise<WriteResult> {
  return send(client, 'setProtocolFee', [toUint(args?.bps, 16, 'bps')]);
}

/**
 * Admin: sets the deposit a provider needs to receive jobs.
 *
 * @example
 * ```ts
 * await setMinProviderDeposit(adminClient, { amount: 100_000_000n });
 * ```
 */
export async function setMinProviderDeposit(client: MuClient, args: { amount: bigint | number }): Promise<WriteResult> {
  return send(client, 'setMinProviderDeposit', [toUint(args?.amount, 256, 'amount')]);
}

/**
 * Admin: sets the unbonding delay in seconds.
 *
 * @example
 * ```ts
 * await setUnbondingDelay(adminClient, { delay: 7 * 24 * 3600 });
 * ```
 */
export async function setUnbondingDelay(client: MuClient, args: { delay: bigint | number }): Promise<WriteResult> {
  return send(client, 'setUnbondingDelay', [toUint(args?.delay, 64, 'delay')]);
}

/**
 * Admin: sets the settlement window after a cancel, in seconds.
 *
 * @example
 * ```ts
 * await setSettlementWindow(adminClient, { window: 24 * 3600 });
 * ```
 */
export async function setSettlementWindow(client: MuClient, args: { window: bigint | number }): Promise<WriteResult> {
  return send(client, 'setSettlementWindow', [toUint(args?.window, 64, 'window')]);
}

/**
 * Admin: sets the slash share of the stake and the prover's share of a slash, in basis points.
 *
 * @example
 * ```ts
 * await setSlashing(adminClient, { shareBps: 1000, rewardBps: 5000 });
 * ```
 */
export async function setSlashing(
  client: MuClient,
  args: { shareBps: number; rewardBps: number },
): Promise<WriteResult> {
  return send(client, 'setSlashing', [
    toUint(args?.shareBps, 16, 'shareBps'),
    toUint(args?.rewardBps, 16, 'rewardBps'),
  ]);
}

/**
 * Admin: stops job creation (settlement, refunds and withdrawals go on).
 *
 * @example
 * ```ts
 * await pauseMarketplace(adminClient);
 * ```
 */
export async function pauseMarketplace(client: MuClient): Promise<WriteResult> {
  return send(client, 'pause');
}

/**
 * Admin: lets jobs be created again.
 *
 * @example
 * ```ts
 * await unpauseMarketplace(adminClient);
 * ```
 */
export async function unpauseMarketplace(client: MuClient): Promise<WriteResult> {
  return send(client, 'unpause');
}

/**
 * Admin: starts a two-step ownership transfer; the new owner calls {@link acceptOwnership}.
 *
 * @example
 * ```ts
 * await transferOwnership(adminClient, { newOwner: multisig });
 * ```
 */
export async function transferOwnership(client: MuClient, args: { newOwner: string }): Promise<WriteResult> {
  return send(client, 'transferOwnership', [checkAddress(args?.newOwner, 'newOwner')]);
}

/**
 * The pending owner accepts the marketplace ownership.
 *
 * @example
 * ```ts
 * await acceptOwnership(multisigClient);
 * ```
 */
export async function acceptOwnership(client: MuClient): Promise<WriteResult> {
  return send(client, 'acceptOwnership');
}

/**
 * Anyone: pays the accrued protocol fees to the treasury.
 *
 * @example
 * ```ts
 * await withdrawFees(client);
 * ```
 */
export async function withdrawFees(client: MuClient): Promise<WriteResult> {
  return send(client, 'withdrawFees');
}

/**
 * Admin: gives up ownership for good (no admin can create regions or change settings afterwards).
 *
 * @example
 * ```ts
 * await renounceOwnership(adminClient);
 * ```
 */
export async function renounceOwnership(client: MuClient): Promise<WriteResult> {
  return send(client, 'renounceOwnership');
}
