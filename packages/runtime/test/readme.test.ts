import { readFile } from 'node:fs/promises';
import { readmeSnippet } from '@mu/test-kit';
import { expect, test } from 'vitest';
import * as runtimePackage from '../src/index.js';
import { buildFixture } from './helpers/fixtures.js';

test("the README's first TypeScript snippet runs and prints what it says", async () => {
  const hello = await buildFixture('hello');
  const body = readmeSnippet(new URL('../README.md', import.meta.url))
    .split('\n')
    .filter((line) => !line.startsWith('import '))
    .join('\n')
    .replace("'hello.wasm'", JSON.stringify(hello.path));
  const printed: unknown[][] = [];
  const fakeConsole = { log: (...values: unknown[]) => printed.push(values) };
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    ...args: string[]
  ) => (...values: unknown[]) => Promise<void>;
  const run = new AsyncFunction('createRuntime', 'readFile', 'console', body);
  await run(runtimePackage.createRuntime, readFile, fakeConsole);
  expect(printed).toEqual([[200, 'hi GET /hello 0'], [1]]);
});
