import { gcm } from '@noble/ciphers/aes.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, isBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { addressBytes, type BytesInput, toBytes, uintBytes } from './bytes.js';
import { checkPrivateKey, checkPublicKey } from './encryption-key.js';
import { DecryptionError, EnvelopeMalformedError, EnvelopeVersionError } from './errors.js';
import { deserializeJobSpec, type JobSpec, serializeJobSpec } from './job-spec.js';

/**
 * Where an encrypted job spec belongs. Bound as associated data: an envelope made for one chain,
 * contract, client or provider does not open under another (no replay of a spec into someone else's job).
 */
export interface EncryptionContext {
  chainId: bigint | number;
  /** The Mu marketplace contract address. */
  contract: string;
  /** The account that creates the job. */
  client: string;
  /** The provider's account address. */
  provider: string;
}

/** The envelope format version this package writes. */
export const ENVELOPE_VERSION = 1;

const EPHEMERAL_KEY_BYTES = 33;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + EPHEMERAL_KEY_BYTES + NONCE_BYTES;
/** Bytes the envelope adds to the plaintext: version, ephemeral key, nonce, GCM tag. */
export const ENVELOPE_OVERHEAD_BYTES = HEADER_BYTES + TAG_BYTES;
const KDF_INFO = utf8ToBytes('mu/job-spec/v1/aes-256-gcm');
const AAD_TAG = utf8ToBytes('mu/job-spec/v1');

/**
 * The context as fixed-width fields (chain id as uint256, then three addresses), so no two contexts
 * encode alike. Part of the associated data, after a domain tag and the envelope's version and ephemeral key.
 */
function encodeContext(context: EncryptionContext): Uint8Array {
  if (typeof context !== 'object' || context === null) throw new TypeError('context must be an object.');
  return concatBytes(
    uintBytes(context.chainId, 32, 'context.chainId'),
    addressBytes(context.contract, 'context.contract'),
    addressBytes(context.client, 'context.client'),
    addressBytes(context.provider, 'context.provider'),
  );
}

function associatedData(header: Uint8Array, encodedContext: Uint8Array): Uint8Array {
  return concatBytes(AAD_TAG, header.subarray(0, 1 + EPHEMERAL_KEY_BYTES), encodedContext);
}

function deriveKey(sharedPoint: Uint8Array, ephemeralPublicKey: Uint8Array, recipientPublicKey: Uint8Array) {
  // Only the x-coordinate is the ECDH secret (SEC1 §3.3.1); both public keys go into the salt so the
  // key is bound to this exact pair (no key-substitution between envelopes).
  return hkdf(sha256, sharedPoint.subarray(1), concatBytes(ephemeralPublicKey, recipientPublicKey), KDF_INFO, 32);
}

/** Test-vector hooks for {@link encryptBytes}; never set them in production (reuse breaks secrecy). */
export interface EncryptOptions {
  ephemeralPrivateKey?: BytesInput;
  nonce?: BytesInput;
}

/**
 * Encrypts bytes to a secp256k1 public key: version 1 envelope
 * `0x01 ‖ ephemeral compressed key (33) ‖ nonce (12) ‖ AES-256-GCM ciphertext ‖ tag (16)`, key from
 * HKDF-SHA256 over the ECDH x-coordinate, the context as associated data.
 *
 * @throws {TypeError} / {@link RangeError} for a bad key or context, before encrypting.
 * @example
 * ```ts
 * const envelope = encryptBytes(new TextEncoder().encode('secret'), providerKey, context);
 * ```
 */
export function encryptBytes(
  plaintext: Uint8Array,
  recipientPublicKey: BytesInput,
  context: EncryptionContext,
  options: EncryptOptions = {},
): Uint8Array {
  if (!isBytes(plaintext)) throw new TypeError('plaintext must be a Uint8Array.');
  const encodedContext = encodeContext(context);
  const recipient = checkPublicKey(recipientPublicKey, 'recipientPublicKey');
  const ephemeralPrivateKey =
    options.ephemeralPrivateKey === undefined
      ? secp256k1.utils.randomSecretKey()
      : checkPrivateKey(options.ephemeralPrivateKey);
  const nonce = options.nonce === undefined ? randomBytes(NONCE_BYTES) : toBytes(options.nonce, 'nonce');
  if (nonce.length !== NONCE_BYTES) throw new RangeError(`nonce must be ${NONCE_BYTES} bytes.`);
  const ephemeralPublicKey = secp256k1.getPublicKey(ephemeralPrivateKey, true);
  const header = concatBytes(Uint8Array.of(ENVELOPE_VERSION), ephemeralPublicKey, nonce);
  const aad = associatedData(header, encodedContext);
  const key = deriveKey(secp256k1.getSharedSecret(ephemeralPrivateKey, recipient, true), ephemeralPublicKey, recipient);
  return concatBytes(header, gcm(key, nonce, aad).encrypt(plaintext));
}

/**
 * Opens an envelope made by {@link encryptBytes}.
 *
 * @throws {EnvelopeMalformedError} `CRYPTO_ENVELOPE_MALFORMED`: too short, or the ephemeral key is not a point.
 * @throws {EnvelopeVersionError} `CRYPTO_ENVELOPE_VERSION`: an unknown version byte.
 * @throws {DecryptionError} `CRYPTO_DECRYPTION_FAILED`: wrong key, wrong context or tampered bytes.
 * @throws {TypeError} for a bad private key or context.
 * @example
 * ```ts
 * const plaintext = decryptBytes(envelope, privateKey, context);
 * ```
 */
export function decryptBytes(envelope: BytesInput, privateKey: BytesInput, context: EncryptionContext): Uint8Array {
  const bytes = toBytes(envelope, 'envelope');
  const secret = checkPrivateKey(privateKey);
  const encodedContext = encodeContext(context);
  if (bytes.length < ENVELOPE_OVERHEAD_BYTES) {
    throw new EnvelopeMalformedError({
      details: `${bytes.length} bytes; an envelope has at least ${ENVELOPE_OVERHEAD_BYTES}`,
    });
  }
  const version = bytes[0]!;
  if (version !== ENVELOPE_VERSION) throw new EnvelopeVersionError(version);
  const ephemeralPublicKey = bytes.subarray(1, 1 + EPHEMERAL_KEY_BYTES);
  const nonce = bytes.subarray(1 + EPHEMERAL_KEY_BYTES, HEADER_BYTES);
  let shared: Uint8Array;
  try {
    shared = secp256k1.getSharedSecret(secret, ephemeralPublicKey, true);
  } catch (cause) {
    throw new EnvelopeMalformedError({ cause, details: 'the ephemeral public key is not a secp256k1 point' });
  }
  const recipient = secp256k1.getPublicKey(secret, true);
  const aad = associatedData(bytes, encodedContext);
  const key = deriveKey(shared, ephemeralPublicKey, recipient);
  try {
    return gcm(key, nonce, aad).decrypt(bytes.subarray(HEADER_BYTES));
  } catch (cause) {
    throw new DecryptionError({ cause });
  }
}

/**
 * Validates a job spec and encrypts its canonical JSON to the provider's encryption key.
 *
 * @param spec The job spec (validated with `parseJobSpec` first).
 * @param providerPublicKey The provider's compressed public key, as published by `registerProvider`.
 * @param context Chain id, marketplace contract, client and provider: the envelope opens only under the same.
 * @returns The envelope bytes to pass to `createJob`.
 * @throws {JobSpecError} / {@link JobSpecTooLargeError} for an invalid spec; {@link TypeError} for a bad key or context.
 * @example
 * ```ts
 * const envelope = encryptJobSpec(spec, providerKey, { chainId: 31337n, contract, client, provider });
 * ```
 */
export function encryptJobSpec(
  spec: JobSpec,
  providerPublicKey: BytesInput,
  context: EncryptionContext,
  options: EncryptOptions = {},
): Uint8Array {
  return encryptBytes(serializeJobSpec(spec), providerPublicKey, context, options);
}

/**
 * Opens a job spec envelope with the provider's encryption private key and validates the spec.
 *
 * @throws {EnvelopeMalformedError} / {@link EnvelopeVersionError} / {@link DecryptionError} as {@link decryptBytes}.
 * @throws {JobSpecError} when the decrypted bytes are not a valid job spec (a client bug, not tampering).
 * @example
 * ```ts
 * const spec = decryptJobSpec(event.encryptedSpec, encryptionKey.privateKey, { chainId, contract, client, provider });
 * ```
 */
export function decryptJobSpec(envelope: BytesInput, privateKey: BytesInput, context: EncryptionContext): JobSpec {
  return deserializeJobSpec(decryptBytes(envelope, privateKey, context));
}
