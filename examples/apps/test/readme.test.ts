import { readmeSnippet } from '@mu/test-kit';
import { expect, test } from 'vitest';
import { buildApp, buildApps } from '../src/index.js';

test("the README's TypeScript snippet runs and prints what it says", async () => {
  const body = readmeSnippet(new URL('../README.md', import.meta.url))
    .split('\n')
    .filter((line) => !line.startsWith('import '))
    .join('\n');
  const printed: unknown[][] = [];
  const fakeConsole = { log: (...values: unknown[]) => printed.push(values) };
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    ...args: string[]
  ) => (...values: unknown[]) => Promise<void>;
  await new AsyncFunction('buildApp', 'buildApps', 'console', body)(buildApp, buildApps, fakeConsole);
  expect(printed).toEqual([[true, ['hello', 'counter', 'todo']]]);
});
