import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComponentizeCachedOptions, componentCachePath, componentizeCached, listWitFiles } from '../src/index.js';

let root: string;
let inputs: ComponentizeCachedOptions;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mu-test-kit-components-'));
  const witPath = join(root, 'wit');
  await mkdir(join(witPath, 'deps'), { recursive: true });
  await writeFile(
    join(witPath, 'world.wit'),
    'package test:kit;\n\nworld app {\n  export greet: func(name: string) -> string;\n}\n',
  );
  await writeFile(join(witPath, 'deps', 'other.wit'), 'package test:other;\n\ninterface nothing {}\n');
  inputs = {
    name: 'greet',
    source: "export function greet(name) { return 'hi ' + name; }\n",
    witPath,
    world: 'app',
    cacheDir: join(root, 'cache'),
  };
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('componentizeCached', () => {
  it('lists the WIT files under a folder, sorted', async () => {
    expect(await listWitFiles(inputs.witPath)).toEqual([
      join(inputs.witPath, 'deps', 'other.wit'),
      join(inputs.witPath, 'world.wit'),
    ]);
  });

  it('builds a component once, then reads it from the cache', async () => {
    const first = await componentizeCached(inputs);
    expect(first.path).toBe(await componentCachePath(inputs));
    expect(first.path).toMatch(/[/\\]greet-[0-9a-f]{20}\.wasm$/);
    // a component, not a core module: the preamble's layer field is 1
    expect([...first.bytes.subarray(0, 8)]).toEqual([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);
    expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await readdir(inputs.cacheDir)).toEqual([first.path.slice(inputs.cacheDir.length + 1)]);

    // the same inputs read the cached file (planted here) instead of building
    await writeFile(first.path, new Uint8Array([1, 2, 3]));
    const again = await componentizeCached(inputs);
    expect(again.path).toBe(first.path);
    expect([...again.bytes]).toEqual([1, 2, 3]);
  });

  it('keys the cache by the source, the WIT files, the world and the options', async () => {
    const paths = new Set([await componentCachePath(inputs)]);
    for (const variation of [
      { source: `${inputs.source}// changed\n` },
      { world: 'other' },
      { sync: false },
      { stubWasi: true },
      { name: 'renamed' },
    ]) {
      paths.add(await componentCachePath({ ...inputs, ...variation }));
    }
    expect(paths.size).toBe(6);
    const before = await componentCachePath(inputs);
    await writeFile(join(inputs.witPath, 'deps', 'other.wit'), 'package test:other;\n\ninterface changed {}\n');
    expect(await componentCachePath(inputs)).not.toBe(before);
  });
});
