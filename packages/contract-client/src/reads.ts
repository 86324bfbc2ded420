import {
  type JobRecord,
  type OfferRecord,
  type ProviderRecord,
  type Region,
  toJobRecord,
  toOfferRecord,
  toProviderRecord,
  toRegion,
} from '@mu/contracts';
import { plainValue } from './abi.js';
import { type Hex, toUint } from './bytes.js';
import { type MuClient, readMarketplace } from './client.js';
import { checkAddress } from './eip712.js';
import { type NodeCertificate, normalizeNodeCertificate } from './node-key.js';
import { normalizeUsageReport, type UsageReport } from './usage-report.js';

/** A provider, an offer, a job and a region as the contract reports them (defined in `@mu/contracts`). */
export type { JobRecord, OfferRecord, ProviderRecord, Region };

/** A page of a list read and the full length of the list. */
export interface Page<T> {
  items: T[];
  total: bigint;
}

/** The marketplace's configuration and counters. */
export interface MarketplaceConfig {
  owner: string;
  pendingOwner: string;
  token: string;
  treasury: string;
  protocolFeeBps: number;
  slashShareBps: number;
  slashRewardBps: number;
  unbondingDelay: bigint;
  settlementWindow: bigint;
  minProviderDeposit: bigint;
  protocolFees: bigint;
  paused: boolean;
  regionCount: number;
  jobCount: bigint;
}

async function read<T>(client: MuClient, method: string, args: readonly unknown[] = []): Promise<T> {
  const value = await readMarketplace(client, method, args);
  const outputs = client.interface.getFunction(method)!.outputs;
  if (outputs.length === 1) return plainValue(outputs[0]!, value) as T;
  const items = value as ArrayLike<unknown>;
  return outputs.map((output, index) => plainValue(output, items[index])) as T;
}

function pageArgs(args: { offset?: bigint | number; limit?: bigint | number } = {}): [bigint, bigint] {
  return [toUint(args.offset ?? 0, 256, 'offset'), toUint(args.limit ?? 100, 256, 'limit')];
}

/**
 * One provider (its deposit, encryption key, metadata).
 *
 * @example
 * ```ts
 * const { encryptionKey, deposit } = await getProvider(client, { provider });
 * ```
 */
export async function getProvider(client: MuClient, args: { provider: string }): Promise<ProviderRecord> {
  return toProviderRecord(await read(client, 'getProvider', [checkAddress(args?.provider, 'provider')]));
}

/**
 * One provider's offer in one region.
 *
 * @example
 * ```ts
 * const { open, prices, gatewayURL } = await getOffer(client, { provider, region: 1 });
 * ```
 */
export async function getOffer(client: MuClient, args: { provider: string; region: number }): Promise<OfferRecord> {
  return toOfferRecord(
    await read(client, 'getOffer', [checkAddress(args?.provider, 'provider'), toUint(args.region, 32, 'region')]),
  );
}

/**
 * A page (at most 100) of the offers in a region; check `open`.
 *
 * @example
 * ```ts
 * const { items } = await getRegionOffers(client, { region: 1 });
 * ```
 */
export async function getRegionOffers(
  client: MuClient,
  args: { region: number; offset?: bigint | number; limit?: bigint | number },
): Promise<Page<OfferRecord>> {
  const [items, total] = await read<[unknown[], bigint]>(client, 'getRegionOffers', [
    toUint(args?.region, 32, 'region'),
    ...pageArgs(args),
  ]);
  return { items: items.map(toOfferRecord), total };
}

/**
 * A page (at most 100) of regions: `{ id, name }`.
 *
 * @example
 * ```ts
 * const { items: regions } = await getRegions(client);
 * ```
 */
export async function getRegions(
  client: MuClient,
  args: { offset?: bigint | number; limit?: bigint | number } = {},
): Promise<Page<Region>> {
  const [items, total] = await read<[unknown[], bigint]>(client, 'getRegions', pageArgs(args));
  return { items: items.map(toRegion), total };
}

/**
 * One job.
 *
 * @throws {MuContractError} `CONTRACT_UNKNOWN_JOB` when there is no such job.
 * @example
 * ```ts
 * const { escrow, exhausted } = await getJob(client, { jobId: 1n });
 * ```
 */
export async function getJob(client: MuClient, args: { jobId: bigint | number }): Promise<JobRecord> {
  return toJobRecord(await read(client, 'getJob', [toUint(args?.jobId, 64, 'jobId')]));
}

/**
 * A page of a client's job ids, oldest first.
 *
 * @example
 * ```ts
 * const { items: jobIds } = await getClientJobs(client, { client: account });
 * ```
 */
export async function getClientJobs(
  client: MuClient,
  args: { client: string; offset?: bigint | number; limit?: bigint | number },
): Promise<Page<bigint>> {
  const [items, total] = await read<[bigint[], bigint]>(client, 'getClientJobs', [
    checkAddress(args?.client, 'client'),
    ...pageArgs(args),
  ]);
  return { items, total };
}

/**
 * A page of a provider's job ids, oldest first.
 *
 * @example
 * ```ts
 * const { items: jobIds, total } = await getProviderJobs(client, { provider, offset: 0 });
 * ```
 */
export async function getProviderJobs(
  client: MuClient,
  args: { provider: string; offset?: bigint | number; limit?: bigint | number },
): Promise<Page<bigint>> {
  const [items, total] = await read<[bigint[], bigint]>(client, 'getProviderJobs', [
    checkAddress(args?.provider, 'provider'),
    ...pageArgs(args),
  ]);
  return { items, total };
}

/**
 * The last settled sequence of a (job, node) pair (0 before the first report): sign the next above it.
 *
 * @example
 * ```ts
 * const next = (await getLastSequence(client, { jobId: 1n, node: nodeKey.address })) + 1n;
 * ```
 */
export async function getLastSequence(
  client: MuClient,
  args: { jobId: bigint | number; node: string },
): Promise<bigint> {
  return read(client, 'lastSequence', [toUint(args?.jobId, 64, 'jobId'), checkAddress(args.node, 'node')]);
}

/**
 * Whether a provider revoked a node (or a slash did).
 *
 * @example
 * ```ts
 * if (await isNodeRevoked(client, { provider, node })) stopNode();
 * ```
 */
export async function isNodeRevoked(client: MuClient, args: { provider: string; node: string }): Promise<boolean> {
  return read(client, 'isNodeRevoked', [checkAddress(args?.provider, 'provider'), checkAddress(args.node, 'node')]);
}

/**
 * Withdrawable credits of an account (provider earnings, slash rewards).
 *
 * @example
 * ```ts
 * const earned = await getCredits(client, { account: provider });
 * ```
 */
export async function getCredits(client: MuClient, args: { account: string }): Promise<bigint> {
  return read(client, 'credits', [checkAddress(args?.account, 'account')]);
}

/**
 * The contract's own EIP-712 digest of a certificate (equals `hashNodeCertificate` off chain).
 *
 * @example
 * ```ts
 * const digest = await hashNodeCertificateOnChain(client, signed.certificate);
 * ```
 */
export async function hashNodeCertificateOnChain(client: MuClient, certificate: NodeCertificate): Promise<Hex> {
  return read(client, 'hashNodeCertificate', [normalizeNodeCertificate(certificate)]);
}

/**
 * The contract's own EIP-712 digest of a report (equals `hashUsageReport` off chain).
 *
 * @example
 * ```ts
 * const digest = await hashUsageReportOnChain(client, signed.report);
 * ```
 */
export async function hashUsageReportOnChain(client: MuClient, report: UsageReport): Promise<Hex> {
  return read(client, 'hashUsageReport', [normalizeUsageReport(report)]);
}

/**
 * The contract's EIP-712 domain separator.
 *
 * @example
 * ```ts
 * const separator = await getDomainSeparator(client);
 * ```
 */
export async function getDomainSeparator(client: MuClient): Promise<Hex> {
  return read(client, 'DOMAIN_SEPARATOR');
}

/**
 * The marketplace's configuration and counters, read in parallel.
 *
 * @example
 * ```ts
 * const { protocolFeeBps, paused } = await getMarketplaceConfig(client);
 * ```
 */
export async function getMarketplaceConfig(client: MuClient): Promise<MarketplaceConfig> {
  const names = [
    'owner',
    'pendingOwner',
    'token',
    'treasury',
    'protocolFeeBps',
    'slashShareBps',
    'slashRewardBps',
    'unbondingDelay',
    'settlementWindow',
    'minProviderDeposit',
    'protocolFees',
    'paused',
    'regionCount',
    'jobCount',
  ] as const;
  const values = await Promise.all(names.map((name) => read<unknown>(client, name)));
  return Object.fromEntries(names.map((name, index) => [name, values[index]])) as unknown as MarketplaceConfig;
}

/** The marketplace's compile-time constants (limits, price scale, EIP-712 type hashes). */
export interface MarketplaceConstants {
  MAX_PAGE: bigint;
  MAX_PROTOCOL_FEE_BPS: number;
  MAX_SETTLEMENT_WINDOW: bigint;
  MAX_SPEC_BYTES: bigint;
  MAX_STRING_BYTES: bigint;
  MAX_UNBONDING_DELAY: bigint;
  PRICE_SCALE_DECIMALS: number;
  REPORT_SIZE: bigint;
  NODE_CERTIFICATE_TYPEHASH: Hex;
  USAGE_REPORT_TYPEHASH: Hex;
}

/**
 * Reads the marketplace's constants: lets a client check at start-up that it speaks the same protocol
 * version as the deployed contract (type hashes, spec cap, report size).
 *
 * @example
 * ```ts
 * const { MAX_SPEC_BYTES } = await getMarketplaceConstants(client);
 * ```
 */
export async function getMarketplaceConstants(client: MuClient): Promise<MarketplaceConstants> {
  const names = [
    'MAX_PAGE',
    'MAX_PROTOCOL_FEE_BPS',
    'MAX_SETTLEMENT_WINDOW',
    'MAX_SPEC_BYTES',
    'MAX_STRING_BYTES',
    'MAX_UNBONDING_DELAY',
    'PRICE_SCALE_DECIMALS',
    'REPORT_SIZE',
    'NODE_CERTIFICATE_TYPEHASH',
    'USAGE_REPORT_TYPEHASH',
  ] as const;
  const values = await Promise.all(names.map((name) => read<unknown>(client, name)));
  return Object.fromEntries(names.map((name, index) => [name, values[index]])) as unknown as MarketplaceConstants;
}

/**
 * The contract's EIP-5267 domain (`eip712Domain()`): name, version, chain id and address it signs under.
 *
 * @example
 * ```ts
 * const { chainId, verifyingContract } = await getEip712Domain(client);
 * ```
 */
export async function getEip712Domain(
  client: MuClient,
): Promise<{ name: string; version: string; chainId: bigint; verifyingContract: string }> {
  const [, name, version, chainId, verifyingContract] = await read<[string, string, string, bigint, string]>(
    client,
    'eip712Domain',
  );
  return { name, version, chainId, verifyingContract };
}
