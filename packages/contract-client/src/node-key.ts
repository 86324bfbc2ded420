import { secp256k1 } from '@noble/curves/secp256k1.js';
import { type Signer, TypedDataEncoder, verifyTypedData, Wallet } from 'ethers';
import { type Hex, toHex, toUint } from './bytes.js';
import { checkAddress, type MuDomainInput, muDomain, NODE_CERTIFICATE_TYPES } from './eip712.js';

/** What a provider certifies about one of its nodes (the EIP-712 `NodeCertificate`). */
export interface NodeCertificate {
  /** The node's signing address (its usage reports recover to it). */
  node: string;
  /** The provider's account, which signs the certificate. */
  provider: string;
  /** The on-chain region id (uint32). */
  region: number;
  /** Unix seconds after which the contract refuses the certificate (uint64). */
  notAfter: bigint;
}

/** A certificate and the provider's EIP-712 signature over it. */
export interface SignedNodeCertificate {
  certificate: NodeCertificate;
  signature: Hex;
}

/** Input of {@link certifyNode}: the provider is the signer's address. */
export interface CertifyNodeInput {
  node: string;
  region: number;
  notAfter: bigint | number;
}

/**
 * Makes a new node signing key (an ethers `Wallet` without a provider) from the platform's CSPRNG.
 * Nodes are not listed on chain; the provider vouches for this key with {@link certifyNode}.
 *
 * @example
 * ```ts
 * const nodeKey = generateNodeKey();
 * console.log(nodeKey.address, nodeKey.privateKey);
 * ```
 */
export function generateNodeKey(): Wallet {
  return new Wallet(toHex(secp256k1.utils.randomSecretKey()));
}

/**
 * Checks and normalizes a certificate (checksummed addresses, region number, notAfter bigint).
 *
 * @example
 * ```ts
 * const certificate = normalizeNodeCertificate(JSON.parse(text));
 * ```
 */
export function normalizeNodeCertificate(
  input: NodeCertificate | (CertifyNodeInput & { provider: string }),
): NodeCertificate {
  if (typeof input !== 'object' || input === null) throw new TypeError('certificate must be an object.');
  return {
    node: checkAddress(input.node, 'certificate.node'),
    provider: checkAddress(input.provider, 'certificate.provider'),
    region: Number(toUint(input.region, 32, 'certificate.region')),
    notAfter: toUint(input.notAfter, 64, 'certificate.notAfter'),
  };
}

/**
 * The provider signs a certificate for one of its nodes in one region until `notAfter`.
 *
 * @param providerSigner The provider's account (a `Wallet`, or a browser `JsonRpcSigner`).
 * @param input The node's address, the region id and the expiry in unix seconds.
 * @param domain The chain id and marketplace address.
 * @throws {TypeError} / {@link RangeError} for bad fields, before signing.
 * @example
 * ```ts
 * const signed = await certifyNode(providerWallet, { node: nodeKey.address, region: 1, notAfter: 1_900_000_000n }, domain);
 * ```
 */
export async function certifyNode(
  providerSigner: Signer,
  input: CertifyNodeInput,
  domain: MuDomainInput,
): Promise<SignedNodeCertificate> {
  if (typeof input !== 'object' || input === null) throw new TypeError('input must be an object.');
  const typedDomain = muDomain(domain);
  const provider = await providerSigner.getAddress();
  const certificate = normalizeNodeCertificate({ ...input, provider });
  const signature = (await providerSigner.signTypedData(typedDomain, NODE_CERTIFICATE_TYPES, certificate)) as Hex;
  return { certificate, signature };
}

/**
 * Checks that a certificate was signed by the provider it names and, when `now` (unix seconds) is
 * given, that it has not expired. Mirrors the contract's check (`notAfter >= block.timestamp`).
 *
 * @returns `true` when valid; `false` for a wrong signer, a malformed signature or an expired certificate.
 * @throws {TypeError} / {@link RangeError} when the certificate fields or domain are malformed.
 * @example
 * ```ts
 * if (!verifyNodeCertificate(signed, domain, { now: Math.floor(Date.now() / 1000) })) throw new Error('bad certificate');
 * ```
 */
export function verifyNodeCertificate(
  signed: SignedNodeCertificate,
  domain: MuDomainInput,
  options: { now?: bigint | number } = {},
): boolean {
  const certificate = normalizeNodeCertificate(signed.certificate);
  const typedDomain = muDomain(domain);
  if (options.now !== undefined && certificate.notAfter < toUint(options.now, 64, 'now')) return false;
  try {
    return verifyTypedData(typedDomain, NODE_CERTIFICATE_TYPES, certificate, signed.signature) === certificate.provider;
  } catch {
    return false;
  }
}

/**
 * The EIP-712 digest of a certificate (what the provider signs; the contract's key for revocation).
 *
 * @example
 * ```ts
 * const digest = hashNodeCertificate(signed.certificate, domain);
 * ```
 */
export function hashNodeCertificate(certificate: NodeCertificate, domain: MuDomainInput): Hex {
  return TypedDataEncoder.hash(muDomain(domain), NODE_CERTIFICATE_TYPES, normalizeNodeCertificate(certificate)) as Hex;
}
