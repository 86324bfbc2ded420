import { describe, expect, test } from 'vitest';
import { capMemories, wasmKind } from '../src/index.js';

const PAGE = 65_536;

/** A core module that defines one memory of `minPages` (no maximum) and exports it as `mem`. */
function moduleWithMemory(minPages: number): Uint8Array {
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...[0x05, 0x03, 0x01, 0x00, minPages],
    ...[0x07, 0x07, 0x01, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00],
  ]);
}

function exportedMemory(bytes: Uint8Array): WebAssembly.Memory {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>));
  return instance.exports.mem as WebAssembly.Memory;
}

describe('wasmKind', () => {
  test('tells components, core modules and other bytes apart', () => {
    expect(wasmKind(moduleWithMemory(1))).toBe('core-module');
    expect(wasmKind(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]))).toBe('component');
    expect(wasmKind(new TextEncoder().encode('#!/bin/sh\necho'))).toBe('not-wasm');
    expect(wasmKind(new Uint8Array(3))).toBe('not-wasm');
  });
});

describe('capMemories', () => {
  test('makes memory.grow fail past the cap', () => {
    const original = exportedMemory(moduleWithMemory(1));
    expect(original.grow(8)).toBe(1);
    const capped = capMemories(moduleWithMemory(1), 3 * PAGE);
    expect(capped).toMatchObject({ initialBytes: PAGE, capped: 1 });
    const memory = exportedMemory(capped.bytes);
    expect(memory.grow(2)).toBe(1);
    expect(() => memory.grow(1)).toThrow(RangeError);
    expect(memory.buffer.byteLength).toBe(3 * PAGE);
  });

  test('refuses a cap below the initial memory, and bytes that are not a core module', () => {
    expect(() => capMemories(moduleWithMemory(4), 2 * PAGE)).toThrow(/more than the limit/);
    expect(() => capMemories(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]), PAGE)).toThrow(
      RangeError,
    );
  });

  test('leaves a module without memory unchanged', () => {
    const empty = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    expect(capMemories(empty, PAGE)).toEqual({ bytes: empty, initialBytes: 0, capped: 0 });
  });
});
