import { type BytesInput, toBytes, toHex, toUint } from './bytes.js';
import {
  findEvent,
  getMuDomain,
  type MuClient,
  requireSigner,
  sendTransaction,
  type WriteResult,
  wrap,
} from './client.js';
import { NotRegisteredError } from './contract-errors.js';
import { checkAddress } from './eip712.js';
import { encryptJobSpec } from './envelope.js';
import type { JobSpec } from './job-spec.js';
import { getProvider } from './reads.js';
import { signPermit } from './token.js';

/** The contract's cap on an encrypted spec (`MAX_SPEC_BYTES`). */
export const MAX_ENCRYPTED_SPEC_BYTES = 16_384;

function checkSpecBytes(encryptedSpec: BytesInput): string {
  const bytes = toBytes(encryptedSpec, 'encryptedSpec');
  if (bytes.length > MAX_ENCRYPTED_SPEC_BYTES) {
    throw new RangeError(
      `encryptedSpec is ${bytes.length} bytes; the contract accepts at most ${MAX_ENCRYPTED_SPEC_BYTES}.`,
    );
  }
  return toHex(bytes);
}

/** Arguments of {@link createJob}. */
export interface CreateJobArgs {
  /** The provider's account. */
  provider: string;
  region: number;
  /** The envelope from `encryptJobSpec`. */
  encryptedSpec: BytesInput;
  /** Token base units put in escrow. */
  prepayment: bigint | number;
  /**
   * Pay with an ERC-2612 permit signed on the spot instead of a prior `approveToken` (one transaction).
   * `true` for a one-hour deadline, or `{ deadline }` in unix seconds.
   */
  permit?: boolean | { deadline: bigint | number };
}

/**
 * Creates a prepaid job with an encrypted spec; the prices of the provider's offer are locked in.
 *
 * @returns The write result and the new `jobId`.
 * @throws {RangeError} when the envelope is above the contract cap (before any transaction).
 * @throws {MuContractError} e.g. `CONTRACT_OFFER_NOT_OPEN`, `CONTRACT_NOT_REGISTERED`, `CONTRACT_ENFORCED_PAUSE`,
 *   `CONTRACT_ERC20_INSUFFICIENT_ALLOWANCE`.
 * @example
 * ```ts
 * const { jobId } = await createJob(client, { provider, region: 1, encryptedSpec, prepayment: 5_000_000n, permit: true });
 * ```
 */
export async function createJob(client: MuClient, args: CreateJobArgs): Promise<WriteResult & { jobId: bigint }> {
  if (typeof args !== 'object' || args === null) throw new TypeError('args must be an object.');
  const provider = checkAddress(args.provider, 'provider');
  const region = toUint(args.region, 32, 'region');
  const spec = checkSpecBytes(args.encryptedSpec);
  const prepayment = toUint(args.prepayment, 256, 'prepayment');
  requireSigner(client);
  let result: WriteResult;
  if (args.permit) {
    const permit = await signPermit(client, {
      value: prepayment,
      ...(typeof args.permit === 'object' ? { deadline: args.permit.deadline } : {}),
    });
    result = await sendTransaction(client, client.marketplace, 'createJobWithPermit', [
      provider,
      region,
      spec,
      prepayment,
      permit.deadline,
      permit.v,
      permit.r,
      permit.s,
    ]);
  } else {
    result = await sendTransaction(client, client.marketplace, 'createJob', [provider, region, spec, prepayment]);
  }
  return { ...result, jobId: BigInt(findEvent(result, 'JobCreated')?.args.jobId as bigint) };
}

/**
 * Encrypts a job spec to the provider's on-chain key, bound to this chain, marketplace, client and provider,
 * then creates the job: what `mu deploy` does.
 *
 * @throws {JobSpecError} for an invalid spec; {@link MuContractError} as {@link createJob}.
 * @example
 * ```ts
 * const { jobId } = await deployJob(client, { provider, region: 1, spec, prepayment: 5_000_000n, permit: true });
 * ```
 */
export async function deployJob(
  client: MuClient,
  args: Omit<CreateJobArgs, 'encryptedSpec'> & { spec: JobSpec },
): Promise<WriteResult & { jobId: bigint }> {
  const signer = requireSigner(client);
  const provider = checkAddress(args?.provider, 'provider');
  const [{ registered, encryptionKey }, { chainId }, clientAddress] = await Promise.all([
    getProvider(client, { provider }),
    getMuDomain(client),
    wrap(client, () => signer.getAddress()),
  ]);
  // The contract would refuse the job anyway; say so before encrypting to an empty key.
  if (!registered) throw new NotRegisteredError({ args: { provider } });
  const encryptedSpec = encryptJobSpec(args.spec, encryptionKey, {
    chainId,
    contract: client.address,
    client: clientAddress,
    provider,
  });
  const { spec: _spec, ...rest } = args;
  return createJob(client, { ...rest, encryptedSpec });
}

/**
 * Adds to a job's escrow (anyone may pay; approve first); clears the exhausted flag.
 *
 * @example
 * ```ts
 * await topUpJob(client, { jobId: 1n, amount: 5_000_000n });
 * ```
 */
export async function topUpJob(
  client: MuClient,
  args: { jobId: bigint | number; amount: bigint | number },
): Promise<WriteResult> {
  const jobId = toUint(args?.jobId, 64, 'jobId');
  return sendTransaction(client, client.marketplace, 'topUp', [jobId, toUint(args.amount, 256, 'amount')]);
}

/**
 * The job's client replaces its encrypted spec (a new code version); nodes see `JobUpdated`.
 *
 * @example
 * ```ts
 * await updateJobSpec(client, { jobId: 1n, encryptedSpec: encryptJobSpec(newSpec, providerKey, context) });
 * ```
 */
export async function updateJobSpec(
  client: MuClient,
  args: { jobId: bigint | number; encryptedSpec: BytesInput },
): Promise<WriteResult> {
  const jobId = toUint(args?.jobId, 64, 'jobId');
  return sendTransaction(client, client.marketplace, 'updateJobSpec', [jobId, checkSpecBytes(args.encryptedSpec)]);
}

/**
 * The job's client or provider cancels it; usage can be settled until the settlement window closes.
 *
 * @example
 * ```ts
 * await cancelJob(client, { jobId: 1n });
 * ```
 */
export async function cancelJob(client: MuClient, args: { jobId: bigint | number }): Promise<WriteResult> {
  return sendTransaction(client, client.marketplace, 'cancelJob', [toUint(args?.jobId, 64, 'jobId')]);
}

/**
 * Pays the rest of a cancelled job's escrow to its client once the window has closed (anyone may call).
 *
 * @example
 * ```ts
 * await claimRefund(client, { jobId: 1n });
 * ```
 */
export async function claimRefund(client: MuClient, args: { jobId: bigint | number }): Promise<WriteResult> {
  return sendTransaction(client, client.marketplace, 'claimRefund', [toUint(args?.jobId, 64, 'jobId')]);
}
