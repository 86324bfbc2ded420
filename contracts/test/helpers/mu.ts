import {
  type BaseWallet,
  Contract,
  ContractFactory,
  ContractTransactionReceipt,
  type ContractTransactionResponse,
  Interface,
  Signature,
  type Signer,
  type TypedDataDomain,
} from 'ethers';
import { expect } from 'vitest';
import {
  type DeployMuOptions,
  eip712Types,
  type MuDeployment,
  MuMarketplaceAbi,
  muDomain,
  type NodeCertificate,
  type Prices,
  type UsageReport,
  waitForTransaction,
} from '../../src/index.js';
import type { Chain } from './chain.js';
import { loadFixtures } from './fixtures.js';

export const ONE = 1_000_000n; // one token of 6 decimals
export const MIN_DEPOSIT = 100n * ONE;
export const WINDOW = 86_400n;
export const UNBONDING = 7n * 86_400n;

const errorInterface = new Interface([
  ...MuMarketplaceAbi.filter((entry) => entry.type === 'error'),
  'error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)',
  'error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)',
]);

/** Sends a transaction and returns its receipt. */
export async function send(
  contract: Contract,
  method: string,
  ...args: unknown[]
): Promise<ContractTransactionReceipt> {
  const tx = (await contract.getFunction(method)(...args)) as ContractTransactionResponse;
  // polling the receipt: ethers' tx.wait() can miss an automined block under load (see src/receipts.ts)
  const receipt = await waitForTransaction(tx.provider, tx.hash, { intervalMs: 2, timeoutMs: 30_000 });
  if (receipt.status !== 1) throw Object.assign(new Error(`${method}: reverted on chain`), { receipt });
  return new ContractTransactionReceipt(contract.interface, tx.provider, receipt);
}

/** Reads a view function. */
export async function read<T = unknown>(contract: Contract, method: string, ...args: unknown[]): Promise<T> {
  return (await contract.getFunction(method).staticCall(...args)) as T;
}

/** Expects a call to revert with the custom error `name` (and `args` when given). */
export async function expectRevert(promise: Promise<unknown>, name: string, args?: unknown[]): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a revert with ${name}`).toBeDefined();
  const data = (caught as { data?: string }).data;
  const revert = typeof data === 'string' && data.length >= 10 ? errorInterface.parseError(data) : null;
  expect(revert?.name, `expected ${name}, got ${String((caught as Error).message).slice(0, 300)}`).toBe(name);
  if (args) expect([...(revert?.args ?? [])]).toEqual(args);
}

/** Returns the events `name` from a receipt, decoded. */
export function events(
  contract: Contract,
  receipt: ContractTransactionReceipt,
  name: string,
): Record<string, unknown>[] {
  const decoded = [];
  for (const log of receipt.logs) {
    const parsed = contract.interface.parseLog(log);
    if (parsed?.name === name) decoded.push(parsed.args.toObject(true) as Record<string, unknown>);
  }
  return decoded;
}

export function prices(overrides: Partial<Prices> = {}): Prices {
  return {
    perRequest: 200_000_000n, // 0.2 base units per request (0.20 per million at 6 decimals)
    perCpuMs: 20_000_000n,
    perMemoryMbMs: 30_000n,
    perKvRead: 50_000_000n,
    perKvWrite: 250_000_000n,
    perEgressByte: 90_000n,
    ...overrides,
  };
}

/** A compressed secp256k1 public key for a provider. */
export function encryptionKey(wallet: BaseWallet): string {
  return wallet.signingKey.compressedPublicKey;
}

export interface SignedCertificate {
  certificate: NodeCertificate;
  signature: { r: string; vs: string };
}

function compact(signature: string): { r: string; vs: string } {
  const parsed = Signature.from(signature);
  return { r: parsed.r, vs: parsed.yParityAndS };
}

export async function signCertificate(
  provider: BaseWallet,
  domain: TypedDataDomain,
  certificate: NodeCertificate,
): Promise<SignedCertificate> {
  const signature = await provider.signTypedData(domain, { NodeCertificate: eip712Types.NodeCertificate }, certificate);
  return { certificate, signature: compact(signature) };
}

export async function signReport(node: BaseWallet, domain: TypedDataDomain, report: UsageReport): Promise<string> {
  return node.signTypedData(domain, { UsageReport: eip712Types.UsageReport }, report);
}

export function usage(jobId: bigint, node: string, sequence: bigint, counters: Partial<UsageReport> = {}): UsageReport {
  return {
    jobId,
    node,
    sequence,
    periodStart: 1_000n * sequence,
    periodEnd: 1_000n * sequence + 999n,
    requests: 1_000n,
    cpuMs: 2_000n,
    memoryMbMs: 128_000n,
    kvReads: 300n,
    kvWrites: 40n,
    egressBytes: 500_000n,
    ...counters,
  };
}

/** The charge the contract must compute for a report under `price`. */
export function expectedCharge(report: UsageReport, price: Prices): bigint {
  return (
    (report.requests * price.perRequest +
      report.cpuMs * price.perCpuMs +
      report.memoryMbMs * price.perMemoryMbMs +
      report.kvReads * price.perKvRead +
      report.kvWrites * price.perKvWrite +
      report.egressBytes * price.perEgressByte) /
    1_000_000_000n
  );
}

export function domainOf(mu: MuDeployment): TypedDataDomain {
  return muDomain(mu.chainId, mu.marketplaceAddress);
}

export type Fixtures = ReturnType<typeof loadFixtures>;

/** Deploys a fixture contract by name. */
export async function deployFixture(signer: Signer, name: string, ...args: unknown[]): Promise<Contract> {
  const artifact = loadFixtures()[name];
  if (!artifact) throw new Error(`no fixture ${name}`);
  const factory = new ContractFactory(artifact.abi as never, artifact.bytecode, signer);
  const contract = await factory.deploy(...args);
  await waitForTransaction(signer.provider!, contract.deploymentTransaction()!.hash, { intervalMs: 2 });
  return new Contract(await contract.getAddress(), artifact.abi as never, signer);
}

/** Mints and approves `amount` for `signer`. */
export async function fund(mu: MuDeployment, signer: Signer, amount: bigint): Promise<void> {
  const address = await signer.getAddress();
  await send(mu.token, 'mint', address, amount);
  await send(mu.token.connect(signer) as Contract, 'approve', mu.marketplaceAddress, amount);
}

/** Registers `wallet` as a provider with an open offer in `region`. */
export async function registerProvider(
  mu: MuDeployment,
  wallet: BaseWallet,
  region = 1,
  price: Prices = prices(),
  deposit = MIN_DEPOSIT,
): Promise<void> {
  await fund(mu, wallet, deposit);
  const marketplace = mu.marketplace.connect(wallet) as Contract;
  await send(marketplace, 'registerProvider', encryptionKey(wallet), 'https://provider.example/meta.json', deposit);
  await send(marketplace, 'setOffer', region, 'https://gw.provider.example', price);
}

/** Creates a job for `client` and returns its id. */
export async function createJob(
  mu: MuDeployment,
  client: Signer,
  provider: string,
  region = 1,
  prepayment = 10n * ONE,
): Promise<bigint> {
  await fund(mu, client, prepayment);
  const marketplace = mu.marketplace.connect(client) as Contract;
  const receipt = await send(marketplace, 'createJob', provider, region, '0x01020304', prepayment);
  const [created] = events(mu.marketplace, receipt, 'JobCreated');
  return created!.jobId as bigint;
}

export type { Chain, DeployMuOptions };
