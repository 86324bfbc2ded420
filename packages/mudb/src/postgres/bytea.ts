/** MuDB's bytes as pg's `bytea` parameters, and pg's Buffers back as plain Uint8Arrays. */

/** The namespace's column value: its UTF-8 bytes (names may hold `\0`, which `text` cannot). */
export function namespaceColumn(namespace: string): Buffer {
  return Buffer.from(namespace, 'utf8');
}

/** A Buffer over the same memory (pg sends Buffers as binary parameters and inside bytea arrays). */
export function bytes(array: Uint8Array): Buffer {
  return Buffer.isBuffer(array) ? array : Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

/**
 * A plain Uint8Array of a Buffer pg returned (MuDB's values are Uint8Arrays, not Buffers). Small Buffers are
 * slices of Node's shared pool, whose `.buffer` would show the caller bytes of other reads (other
 * namespaces'), so those are copied; a Buffer that owns its memory is wrapped as it is.
 */
export function view(buffer: Buffer): Uint8Array {
  return buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength
    ? new Uint8Array(buffer.buffer, 0, buffer.byteLength)
    : new Uint8Array(buffer);
}
