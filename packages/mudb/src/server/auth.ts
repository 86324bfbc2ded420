import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const CLIENT_LABEL = Buffer.from('mudb-auth-v1/client');
const SERVER_LABEL = Buffer.from('mudb-auth-v1/server');
/** Shorter secrets are refused: the HMAC is only as strong as the key. */
export const MIN_SECRET_BYTES = 16;

/** 32 random bytes. */
export function nonce(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

/** The secret as bytes; a string is UTF-8. @throws TypeError, RangeError */
export function secretBytes(secret: string | Uint8Array, what = 'secret'): Uint8Array {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what} must be a string or a Uint8Array`);
  if (bytes.length < MIN_SECRET_BYTES) throw new RangeError(`${what} must hold at least ${MIN_SECRET_BYTES} bytes`);
  return bytes;
}

/** What the client sends to prove it holds the secret. */
export function clientProof(secret: Uint8Array, serverNonce: Uint8Array, clientNonce: Uint8Array, clientId: string) {
  return mac(secret, CLIENT_LABEL, serverNonce, clientNonce, Buffer.from(clientId));
}

/** What the server sends back to prove it holds the secret too. */
export function serverProof(secret: Uint8Array, clientNonce: Uint8Array, serverNonce: Uint8Array) {
  return mac(secret, SERVER_LABEL, clientNonce, serverNonce);
}

function mac(secret: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const hmac = createHmac('sha256', secret);
  for (const part of parts) {
    // Length-prefix each part so no two different part lists hash the same bytes.
    const length = Buffer.alloc(4);
    length.writeUInt32BE(part.length);
    hmac.update(length);
    hmac.update(part);
  }
  return new Uint8Array(hmac.digest());
}

/** Constant-time comparison. */
export function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
