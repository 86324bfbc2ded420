/** Byte helpers shared by MuDB and its backends. Internal: not part of the public API. */

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** The string a UTF-8 byte sequence holds. @throws TypeError on malformed UTF-8 */
export function fromUtf8(bytes: Uint8Array): string {
  // Short ASCII (most keys): building the string directly beats TextDecoder's per-call overhead.
  if (bytes.length <= 64) {
    let text = '';
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      if (byte >= 0x80) return decoder.decode(bytes);
      text += String.fromCharCode(byte);
    }
    return text;
  }
  return decoder.decode(bytes);
}

/** Lexicographic byte order, as LevelDB and PostgreSQL's bytea order keys. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const difference = a[i]! - b[i]!;
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

/** Whether two byte arrays (or two absences) are the same. */
export function equalBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * `prefix` followed by the UTF-8 bytes of `text`, in one allocation. ASCII text (the common case for keys)
 * is copied by a plain loop, several times faster than TextEncoder on short strings.
 */
export function prefixedUtf8(prefix: Uint8Array, text: string): Uint8Array {
  const length = text.length;
  const out = new Uint8Array(prefix.length + length);
  out.set(prefix, 0);
  const offset = prefix.length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return concatBytes(prefix, encoder.encode(text));
    out[offset + i] = code;
  }
  return out;
}

const SLAB_SIZE = 16 * 1024;
const SLAB_MAX_COPY = 1024;
let slab = new Uint8Array(SLAB_SIZE);
let slabOffset = 0;

/**
 * A private copy of `bytes` as a plain Uint8Array. Small copies are carved from a shared 16 KiB slab (as
 * Node's Buffer.allocUnsafe pools small buffers): a fresh ArrayBuffer per 100-byte value costs more than
 * the store's own write. A live copy keeps its slab alive, so at most 16 KiB is retained per copy.
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  const length = bytes.length;
  if (length > SLAB_MAX_COPY) return new Uint8Array(bytes);
  if (slabOffset + length > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabOffset = 0;
  }
  const copy = slab.subarray(slabOffset, slabOffset + length);
  copy.set(bytes);
  // Keep every copy 8-byte aligned, as Node's pool does.
  slabOffset = (slabOffset + length + 7) & ~7;
  return copy;
}

/** `a` followed by `b` in a new array. */
export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Whether `bytes` starts with `prefix`. */
export function hasPrefix(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/**
 * The smallest byte string greater than every string that starts with `prefix`, or undefined when none
 * exists (the prefix is empty or all 0xff).
 */
export function prefixUpperBound(prefix: Uint8Array): Uint8Array | undefined {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return undefined;
  const bound = prefix.slice(0, end);
  bound[end - 1]! += 1;
  return bound;
}

/** Length-prefixed segment (`[length][bytes]`), so no content can be mistaken for a boundary. */
export function lengthPrefixed(bytes: Uint8Array): Uint8Array {
  if (bytes.length > 255) throw new RangeError(`A name may hold at most 255 UTF-8 bytes, got ${bytes.length}`);
  const out = new Uint8Array(bytes.length + 1);
  out[0] = bytes.length;
  out.set(bytes, 1);
  return out;
}

/** FNV-1a over the bytes: cheap and well spread for lock striping. */
export function hashBytes(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i]!;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Inverse of {@link toBase64Url}; undefined when the text is not canonical base64url. */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const bytes = new Uint8Array(Buffer.from(text, 'base64url'));
  return toBase64Url(bytes) === text ? bytes : undefined;
}

/** Whether a string has no lone surrogates (String.prototype.isWellFormed, Node 20+, not in lib ES2023). */
export function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}
