import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('runs the README snippet as written', async () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const snippet = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(snippet).toBeDefined();
  const directory = fileURLToPath(new URL('./.snippets/', import.meta.url));
  mkdirSync(directory, { recursive: true });
  const file = `${directory}readme.ts`;
  // The snippet ends by exporting what it computed, so the test checks values, not just "did not throw".
  writeFileSync(file, snippet!);
  const result = (await import(/* @vite-ignore */ file)) as { greeting: string; visits: bigint; page: string[] };
  expect(result.greeting).toBe('hello');
  expect(result.visits).toBe(2n);
  expect(result.page).toEqual(['todo/1', 'todo/2']);
});
