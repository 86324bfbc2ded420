import { USAGE_REPORT_SIZE } from '@mu/contracts';
import { id, TypedDataEncoder } from 'ethers';
import { getMuDomain, type MuClient } from './client.js';
import { MU_DOMAIN_NAME, MU_DOMAIN_VERSION, NODE_CERTIFICATE_TYPES, USAGE_REPORT_TYPES } from './eip712.js';
import { ENVELOPE_OVERHEAD_BYTES } from './envelope.js';
import { ProtocolMismatchError } from './errors.js';
import { JOB_SPEC_LIMITS } from './job-spec.js';
import { PRICE_SCALE_DECIMALS } from './prices.js';
import { getEip712Domain, getMarketplaceConstants, type MarketplaceConstants } from './reads.js';

/**
 * What differs between a deployment's constants and domain and what this package signs and sends
 * (empty when compatible). Pure: {@link assertProtocolCompatible} reads the values from the chain.
 */
export function protocolMismatches(
  constants: Pick<
    MarketplaceConstants,
    'MAX_SPEC_BYTES' | 'PRICE_SCALE_DECIMALS' | 'REPORT_SIZE' | 'NODE_CERTIFICATE_TYPEHASH' | 'USAGE_REPORT_TYPEHASH'
  >,
  domain: { name: string; version: string },
): string[] {
  const mismatches: string[] = [];
  const expect = (what: string, actual: unknown, expected: unknown) => {
    if (actual !== expected) mismatches.push(`${what} is ${String(actual)}, expected ${String(expected)}`);
  };
  expect('EIP-712 domain name', domain.name, MU_DOMAIN_NAME);
  expect('EIP-712 domain version', domain.version, MU_DOMAIN_VERSION);
  expect(
    'NODE_CERTIFICATE_TYPEHASH',
    constants.NODE_CERTIFICATE_TYPEHASH,
    id(TypedDataEncoder.from(NODE_CERTIFICATE_TYPES).encodeType('NodeCertificate')),
  );
  expect(
    'USAGE_REPORT_TYPEHASH',
    constants.USAGE_REPORT_TYPEHASH,
    id(TypedDataEncoder.from(USAGE_REPORT_TYPES).encodeType('UsageReport')),
  );
  expect('REPORT_SIZE', constants.REPORT_SIZE, BigInt(USAGE_REPORT_SIZE));
  expect('PRICE_SCALE_DECIMALS', constants.PRICE_SCALE_DECIMALS, PRICE_SCALE_DECIMALS);
  const largestEnvelope = BigInt(JOB_SPEC_LIMITS.maxSerializedBytes + ENVELOPE_OVERHEAD_BYTES);
  if (constants.MAX_SPEC_BYTES < largestEnvelope) {
    mismatches.push(`MAX_SPEC_BYTES is ${constants.MAX_SPEC_BYTES}, below the largest envelope (${largestEnvelope})`);
  }
  return mismatches;
}

/**
 * Checks, once at start-up, that the marketplace at the client's address speaks the protocol this
 * package implements: EIP-712 domain, type hashes, report layout, price scale, spec cap.
 *
 * @throws {ProtocolMismatchError} `PROTOCOL_MISMATCH` listing every difference.
 * @throws {MuContractError} when the address is not a Mu marketplace at all (the reads fail).
 * @example
 * ```ts
 * await assertProtocolCompatible(client); // before watching jobs or settling usage
 * ```
 */
export async function assertProtocolCompatible(client: MuClient): Promise<void> {
  const [constants, domain, expected] = await Promise.all([
    getMarketplaceConstants(client),
    getEip712Domain(client),
    getMuDomain(client),
  ]);
  const mismatches = protocolMismatches(constants, domain);
  if (domain.chainId !== expected.chainId)
    mismatches.push(`chain id is ${domain.chainId}, expected ${expected.chainId}`);
  if (domain.verifyingContract !== expected.verifyingContract) {
    mismatches.push(`verifying contract is ${domain.verifyingContract}, expected ${expected.verifyingContract}`);
  }
  if (mismatches.length > 0) throw new ProtocolMismatchError(mismatches);
}
