import { sha256 } from '@noble/hashes/sha2.js';
import { type Signer, verifyTypedData } from 'ethers';
import { type BytesInput, type Hex, toBytes, toHex, toUint } from './bytes.js';
import { checkAddress, EXECUTION_RECEIPT_TYPES, type MuDomainInput, muDomain } from './eip712.js';

/** What one request used (uint64 each). */
export interface RequestUsage {
  cpuMs: bigint;
  memoryMbMs: bigint;
  kvReads: bigint;
  kvWrites: bigint;
  egressBytes: bigint;
}

/** A node's statement of what it did for one request (the EIP-712 `ExecutionReceipt`, checked off chain). */
export interface ExecutionReceipt {
  jobId: bigint;
  node: string;
  /** 32-byte hash of the request (see {@link hashPayload}); what exactly is hashed is the gateway's convention. */
  requestHash: Hex;
  /** 32-byte hash of the response. */
  responseHash: Hex;
  /** Unix milliseconds when the node answered. */
  timestamp: bigint;
  usage: RequestUsage;
}

/** Input of {@link signReceipt}: numbers or bigints; `node` defaults to the signer. */
export interface ExecutionReceiptInput {
  jobId: bigint | number;
  node?: string;
  requestHash: BytesInput;
  responseHash: BytesInput;
  timestamp: bigint | number;
  usage: { [K in keyof RequestUsage]: bigint | number };
}

/** A receipt and the node's signature: what a response can carry (e.g. in a header) for audit. */
export interface SignedExecutionReceipt {
  receipt: ExecutionReceipt;
  signature: Hex;
}

/**
 * sha256 of a payload as 0x-hex, the hash receipts carry for request and response bodies.
 *
 * @example
 * ```ts
 * const responseHash = hashPayload(new Uint8Array(await response.clone().arrayBuffer()));
 * ```
 */
export function hashPayload(payload: Uint8Array | string): Hex {
  return toHex(sha256(typeof payload === 'string' ? new TextEncoder().encode(payload) : payload));
}

function hash32(value: BytesInput, name: string): Hex {
  const bytes = toBytes(value, name);
  if (bytes.length !== 32) throw new RangeError(`${name} must be 32 bytes.`);
  return toHex(bytes);
}

function normalizeReceipt(input: ExecutionReceiptInput & { node: string }): ExecutionReceipt {
  if (typeof input !== 'object' || input === null) throw new TypeError('receipt must be an object.');
  const usage = input.usage;
  if (typeof usage !== 'object' || usage === null) throw new TypeError('receipt.usage must be an object.');
  return {
    jobId: toUint(input.jobId, 64, 'receipt.jobId'),
    node: checkAddress(input.node, 'receipt.node'),
    requestHash: hash32(input.requestHash, 'receipt.requestHash'),
    responseHash: hash32(input.responseHash, 'receipt.responseHash'),
    timestamp: toUint(input.timestamp, 64, 'receipt.timestamp'),
    usage: {
      cpuMs: toUint(usage.cpuMs, 64, 'receipt.usage.cpuMs'),
      memoryMbMs: toUint(usage.memoryMbMs, 64, 'receipt.usage.memoryMbMs'),
      kvReads: toUint(usage.kvReads, 64, 'receipt.usage.kvReads'),
      kvWrites: toUint(usage.kvWrites, 64, 'receipt.usage.kvWrites'),
      egressBytes: toUint(usage.egressBytes, 64, 'receipt.usage.egressBytes'),
    },
  };
}

/**
 * The node signs what it did for one request: job, request and response hashes, usage, time.
 *
 * @throws {TypeError} / {@link RangeError} for bad fields or a `node` that is not the signer, before signing.
 * @example
 * ```ts
 * const signed = await signReceipt(nodeKey, {
 *   jobId: 1n, requestHash: hashPayload('GET /'), responseHash: hashPayload('hello'),
 *   usage: { cpuMs: 1n, memoryMbMs: 32n, kvReads: 0n, kvWrites: 0n, egressBytes: 5n }, timestamp: Date.now(),
 * }, domain);
 * ```
 */
export async function signReceipt(
  nodeSigner: Signer,
  input: ExecutionReceiptInput,
  domain: MuDomainInput,
): Promise<SignedExecutionReceipt> {
  if (typeof input !== 'object' || input === null) throw new TypeError('receipt must be an object.');
  const typedDomain = muDomain(domain);
  const signerAddress = await nodeSigner.getAddress();
  const receipt = normalizeReceipt({ ...input, node: input.node ?? signerAddress });
  if (receipt.node !== signerAddress) {
    throw new TypeError(`receipt.node ${receipt.node} is not the signer ${signerAddress}; sign with that node's key.`);
  }
  const signature = (await nodeSigner.signTypedData(typedDomain, EXECUTION_RECEIPT_TYPES, receipt)) as Hex;
  return { receipt, signature };
}

/**
 * Checks that a receipt was signed by the node it names. Pair it with `verifyNodeCertificate` to know
 * the node belongs to the job's provider.
 *
 * @returns `true` when valid; `false` for any changed field, another domain or a malformed signature.
 * @throws {TypeError} / {@link RangeError} when the receipt fields or domain are malformed.
 * @example
 * ```ts
 * if (!verifyReceipt(signed, domain)) throw new Error('forged receipt');
 * ```
 */
export function verifyReceipt(signed: SignedExecutionReceipt, domain: MuDomainInput): boolean {
  const receipt = normalizeReceipt(signed.receipt);
  const typedDomain = muDomain(domain);
  try {
    return verifyTypedData(typedDomain, EXECUTION_RECEIPT_TYPES, receipt, signed.signature) === receipt.node;
  } catch {
    return false;
  }
}
