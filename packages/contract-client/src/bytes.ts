import type { Hex } from '@mu/contracts';
import { bytesToHex, hexToBytes, isBytes } from '@noble/hashes/utils.js';

/** Bytes as a `Uint8Array` or a `0x`-prefixed hex string (what ethers returns for `bytes`). */
export type BytesInput = Uint8Array | string;

/** A `0x`-prefixed hex string (defined with the on-chain data in `@mu/contracts`). */
export type { Hex };

const HEX = /^0x(?:[0-9a-fA-F]{2})*$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** @internal Bytes from a Uint8Array or 0x-hex; TypeError otherwise. */
export function toBytes(value: BytesInput, name: string): Uint8Array {
  // isBytes, not instanceof: a Uint8Array from another realm (iframe, worker message, vm) is bytes too.
  if (isBytes(value)) return value;
  if (typeof value === 'string' && HEX.test(value)) return hexToBytes(value.slice(2));
  throw new TypeError(`${name} must be a Uint8Array or a 0x-prefixed hex string of whole bytes.`);
}

/** @internal `0x`-hex of bytes. */
export function toHex(bytes: Uint8Array): Hex {
  return `0x${bytesToHex(bytes)}`;
}

/** @internal The 20 bytes of an address given as 0x-hex (any case); TypeError otherwise. */
export function addressBytes(value: unknown, name: string): Uint8Array {
  if (typeof value !== 'string' || !ADDRESS.test(value)) {
    throw new TypeError(`${name} must be a 0x-prefixed 20-byte address.`);
  }
  return hexToBytes(value.slice(2));
}

/** @internal Big-endian unsigned integer of `length` bytes; RangeError when it does not fit. */
export function uintBytes(value: bigint | number, length: number, name: string): Uint8Array {
  const big = toUint(value, length * 8, name);
  const out = new Uint8Array(length);
  let rest = big;
  for (let index = length - 1; index >= 0; index--) {
    out[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

/** @internal Checks an unsigned integer of `bits` bits given as bigint or safe integer; returns it as bigint. */
export function toUint(value: unknown, bits: number, name: string): bigint {
  let big: bigint;
  if (typeof value === 'bigint') big = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) big = BigInt(value);
  else throw new TypeError(`${name} must be a bigint or a safe integer.`);
  if (big < 0n || big >= 1n << BigInt(bits)) throw new RangeError(`${name} must fit in uint${bits}.`);
  return big;
}
