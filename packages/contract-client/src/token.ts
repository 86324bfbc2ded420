import { TestStablecoinAbi } from '@mu/contracts';
import { Contract, Signature } from 'ethers';
import { toUint } from './bytes.js';
import {
  getMuDomain,
  type MuClient,
  readMarketplace,
  requireSigner,
  sendTransaction,
  type WriteResult,
  wrap,
} from './client.js';
import { checkAddress } from './eip712.js';

/**
 * The marketplace's payment token address (read once, cached on the client).
 *
 * @example
 * ```ts
 * const token = await getTokenAddress(client);
 * ```
 */
export async function getTokenAddress(client: MuClient): Promise<string> {
  client.tokenAddress ??= String(await readMarketplace(client, 'token'));
  return client.tokenAddress;
}

/** @internal The payment token as an ethers Contract (ERC-20 + ERC-2612 + the test token's `mint`). */
export async function tokenContract(client: MuClient): Promise<Contract> {
  return new Contract(await getTokenAddress(client), TestStablecoinAbi, client.signer ?? client.provider);
}

/**
 * Approves the marketplace to pull `amount` of the payment token from the signer (before
 * `registerProvider`, `addDeposit`, `createJob` without permit, `topUp`).
 *
 * @example
 * ```ts
 * await approveToken(client, { amount: 5_000_000n });
 * ```
 */
export async function approveToken(client: MuClient, args: { amount: bigint | number }): Promise<WriteResult> {
  const amount = toUint(args?.amount, 256, 'amount');
  requireSigner(client);
  return sendTransaction(client, await tokenContract(client), 'approve', [client.address, amount]);
}

/**
 * The payment token balance of an account, in base units.
 *
 * @example
 * ```ts
 * const balance = await getTokenBalance(client, { account });
 * ```
 */
export async function getTokenBalance(client: MuClient, args: { account: string }): Promise<bigint> {
  const account = checkAddress(args?.account, 'account');
  const token = await tokenContract(client);
  return wrap(client, async () => BigInt(await token.getFunction('balanceOf').staticCall(account)));
}

/**
 * Test networks only: mints TestStablecoin to an account (anyone may mint the test token).
 *
 * @example
 * ```ts
 * await mintTestToken(client, { to: account, amount: 1_000_000_000n });
 * ```
 */
export async function mintTestToken(
  client: MuClient,
  args: { to: string; amount: bigint | number },
): Promise<WriteResult> {
  const to = checkAddress(args?.to, 'to');
  const amount = toUint(args.amount, 256, 'amount');
  requireSigner(client);
  return sendTransaction(client, await tokenContract(client), 'mint', [to, amount]);
}

/** An ERC-2612 permit signature for the marketplace as spender. */
export interface Permit {
  value: bigint;
  deadline: bigint;
  v: number;
  r: string;
  s: string;
}

/**
 * The signer signs an ERC-2612 permit letting the marketplace pull `value` (no approve transaction).
 *
 * @param deadline Unix seconds (default: one hour from the latest block).
 * @example
 * ```ts
 * const { deadline, v, r, s } = await signPermit(client, { value: 5_000_000n });
 * ```
 */
export async function signPermit(
  client: MuClient,
  args: { value: bigint | number; deadline?: bigint | number },
): Promise<Permit> {
  const value = toUint(args?.value, 256, 'value');
  const signer = requireSigner(client);
  const token = await tokenContract(client);
  return wrap(client, async () => {
    const owner = await signer.getAddress();
    const [name, nonce, { chainId }, block] = await Promise.all([
      token.getFunction('name').staticCall(),
      token.getFunction('nonces').staticCall(owner),
      getMuDomain(client),
      args.deadline === undefined ? client.provider.getBlock('latest') : null,
    ]);
    const deadline =
      args.deadline === undefined ? BigInt(block?.timestamp ?? 0) + 3600n : toUint(args.deadline, 256, 'deadline');
    const signature = Signature.from(
      await signer.signTypedData(
        // OpenZeppelin ERC20Permit: EIP712(name, "1").
        { name: String(name), version: '1', chainId, verifyingContract: await token.getAddress() },
        {
          Permit: [
            { name: 'owner', type: 'address' },
            { name: 'spender', type: 'address' },
            { name: 'value', type: 'uint256' },
            { name: 'nonce', type: 'uint256' },
            { name: 'deadline', type: 'uint256' },
          ],
        },
        { owner, spender: client.address, value, nonce, deadline },
      ),
    );
    return { value, deadline, v: signature.v, r: signature.r, s: signature.s };
  });
}
