import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { MemoryLevel } from 'memory-level';
import { afterAll } from 'vitest';
import { runMuDBConformance } from '../src/conformance.js';
import { LevelBackend } from '../src/index.js';
import { ArrayLevel } from './fixtures/array-level.js';

const directories: string[] = [];
afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

function classic(): ClassicLevel<Uint8Array, Uint8Array> {
  const directory = mkdtempSync(join(tmpdir(), 'mudb-conformance-'));
  directories.push(directory);
  return new ClassicLevel<Uint8Array, Uint8Array>(directory);
}

const databases: Array<
  [string, () => MemoryLevel<Uint8Array, Uint8Array> | ClassicLevel<Uint8Array, Uint8Array> | ArrayLevel]
> = [
  ['memory-level (bytes store, direct path)', () => new MemoryLevel<Uint8Array, Uint8Array>({ storeEncoding: 'view' })],
  ['memory-level (default buffer store, public path)', () => new MemoryLevel<Uint8Array, Uint8Array>()],
  ['classic-level', classic],
  ['ArrayLevel (custom abstract-level)', () => new ArrayLevel()],
];

for (const [name, create] of databases) {
  runMuDBConformance(name, { createBackend: () => new LevelBackend(create()) });
  runMuDBConformance(`${name}, in a sublevel of a larger database`, {
    createBackend: () =>
      new LevelBackend(
        (create() as MemoryLevel<Uint8Array, Uint8Array>).sublevel<Uint8Array, Uint8Array>('mudb', {
          keyEncoding: 'view',
          valueEncoding: 'view',
        }),
      ),
  });
}
