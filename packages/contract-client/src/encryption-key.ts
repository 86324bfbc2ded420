import { secp256k1 } from '@noble/curves/secp256k1.js';
import { type BytesInput, type Hex, toBytes, toHex } from './bytes.js';

/** A provider's encryption key pair (secp256k1). Keep `privateKey` secret: it opens every job spec. */
export interface EncryptionKeyPair {
  /** 32-byte secret scalar. */
  privateKey: Uint8Array;
  /** 33-byte compressed public key (`0x02…`/`0x03…`), what `registerProvider` publishes. */
  publicKey: Hex;
}

/**
 * Makes a new provider encryption key from the platform's CSPRNG (`crypto.getRandomValues`).
 *
 * Separate from the provider's account key on purpose: the account signs transactions, this key only
 * decrypts job specs, so it can live on the executor's nodes without the power to move funds.
 *
 * @example
 * ```ts
 * const { privateKey, publicKey } = generateEncryptionKey();
 * await registerProvider(client, { encryptionKey: publicKey, metadataURI, deposit });
 * ```
 */
export function generateEncryptionKey(): EncryptionKeyPair {
  const privateKey = secp256k1.utils.randomSecretKey();
  return { privateKey, publicKey: getEncryptionPublicKey(privateKey) };
}

/**
 * The compressed public key of an encryption private key.
 *
 * @throws {TypeError} when the private key is not a valid secp256k1 scalar.
 * @example
 * ```ts
 * const publicKey = getEncryptionPublicKey(savedPrivateKey);
 * ```
 */
export function getEncryptionPublicKey(privateKey: BytesInput): Hex {
  return toHex(secp256k1.getPublicKey(checkPrivateKey(privateKey), true));
}

/** @internal */
export function checkPrivateKey(privateKey: BytesInput): Uint8Array {
  const bytes = toBytes(privateKey, 'privateKey');
  if (!secp256k1.utils.isValidSecretKey(bytes)) {
    throw new TypeError('privateKey must be 32 bytes, a non-zero scalar below the secp256k1 group order.');
  }
  return bytes;
}

/** @internal Accepts a compressed (33) or uncompressed (65) key; returns it compressed. */
export function checkPublicKey(publicKey: BytesInput, name = 'publicKey'): Uint8Array {
  const bytes = toBytes(publicKey, name);
  if ((bytes.length !== 33 && bytes.length !== 65) || !secp256k1.utils.isValidPublicKey(bytes, bytes.length === 33)) {
    throw new TypeError(
      `${name} must be a secp256k1 public key (33 bytes compressed or 65 uncompressed) on the curve.`,
    );
  }
  return bytes.length === 33 ? bytes : secp256k1.Point.fromBytes(bytes).toBytes(true);
}
