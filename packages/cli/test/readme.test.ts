import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('runs the README snippet as written', async () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const snippet = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(snippet).toBeDefined();
  // `.cache/` is gitignored; the snippet ends by exporting what it computed, so the test checks values.
  const directory = fileURLToPath(new URL('../.cache/snippets/', import.meta.url));
  mkdirSync(directory, { recursive: true });
  const file = `${directory}readme.ts`;
  writeFileSync(file, snippet!);
  const result = (await import(/* @vite-ignore */ file)) as { exitCodes: number[]; counts: number[] };
  expect(result.exitCodes).toEqual([0, 0]);
  expect(result.counts).toEqual([1, 2]);
});
