import { createHash } from 'node:crypto';

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d] as const;
const PAGE_BYTES = 65_536;

/** What the 8-byte preamble says the bytes are. */
export type WasmKind = 'component' | 'core-module' | 'not-wasm';

/**
 * Classifies bytes by the Wasm preamble: magic `\0asm`, then version 1 layer 0 (a core module) or
 * version 0x0d layer 1 (a component, as the component-model binary format encodes it).
 */
export function wasmKind(bytes: Uint8Array): WasmKind {
  if (bytes.length < 8) return 'not-wasm';
  for (let i = 0; i < 4; i++) if (bytes[i] !== WASM_MAGIC[i]) return 'not-wasm';
  const layer = bytes[6]! | (bytes[7]! << 8);
  if (layer === 1) return 'component';
  if (layer === 0 && bytes[4] === 1 && bytes[5] === 0) return 'core-module';
  return 'not-wasm';
}

/** Hex sha256 of the bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function readUleb(bytes: Uint8Array, offset: number): [value: number, next: number] {
  let result = 0;
  let shift = 0;
  let position = offset;
  for (;;) {
    const byte = bytes[position++];
    if (byte === undefined) throw new RangeError('truncated LEB128');
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [result, position];
    shift += 7;
    if (shift > 35) throw new RangeError('LEB128 too long for u32');
  }
}

function writeUleb(value: number, out: number[]): void {
  let rest = value;
  do {
    let byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
}

/** Result of {@link capMemories}. */
export interface CappedModule {
  /** The rewritten module (the input itself when it defines no memory). */
  bytes: Uint8Array;
  /** Initial bytes of the memories the module defines. */
  initialBytes: number;
  /** How many memories were capped. */
  capped: number;
}

/**
 * Sets the maximum of every 32-bit, non-shared memory a core module defines to at most `maxBytes`, so
 * `memory.grow` fails past the cap. Worker `resourceLimits` do not bound Wasm memory on Node 20, this does.
 * @throws RangeError when the bytes are not a core module or a memory's initial size exceeds the cap
 */
export function capMemories(module: Uint8Array, maxBytes: number): CappedModule {
  if (wasmKind(module) !== 'core-module') throw new RangeError('capMemories needs a core Wasm module');
  const maxPages = Math.max(1, Math.floor(maxBytes / PAGE_BYTES));
  let offset = 8;
  while (offset < module.length) {
    const id = module[offset]!;
    const [size, bodyStart] = readUleb(module, offset + 1);
    const bodyEnd = bodyStart + size;
    if (id === 5) {
      const [count, first] = readUleb(module, bodyStart);
      const body: number[] = [];
      writeUleb(count, body);
      let position = first;
      let initialBytes = 0;
      let capped = 0;
      for (let i = 0; i < count; i++) {
        const flags = module[position++]!;
        const [min, afterMin] = readUleb(module, position);
        position = afterMin;
        let max: number | undefined;
        if (flags & 1) {
          const [value, afterMax] = readUleb(module, position);
          max = value;
          position = afterMax;
        }
        initialBytes += min * PAGE_BYTES;
        if (flags > 1) {
          // shared or 64-bit memories keep their limits (QuickJS and wasi-libc guests use neither)
          body.push(flags);
          writeUleb(min, body);
          if (max !== undefined) writeUleb(max, body);
          continue;
        }
        if (min > maxPages) {
          throw new RangeError(
            `the module needs ${min * PAGE_BYTES} bytes of memory at start, more than the limit of ${maxPages * PAGE_BYTES}`,
          );
        }
        body.push(1);
        writeUleb(min, body);
        writeUleb(Math.min(max ?? maxPages, maxPages), body);
        capped++;
      }
      if (position !== bodyEnd) throw new RangeError('malformed memory section');
      const header: number[] = [5];
      writeUleb(body.length, header);
      const out = new Uint8Array(offset + header.length + body.length + (module.length - bodyEnd));
      out.set(module.subarray(0, offset), 0);
      out.set(header, offset);
      out.set(body, offset + header.length);
      out.set(module.subarray(bodyEnd), offset + header.length + body.length);
      return { bytes: out, initialBytes, capped };
    }
    offset = bodyEnd;
  }
  return { bytes: module, initialBytes: 0, capped: 0 };
}
