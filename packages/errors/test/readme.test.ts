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
  writeFileSync(file, snippet!);
  const result = (await import(/* @vite-ignore */ file)) as Record<string, unknown>;
  expect(result.code).toBe('DEMO_QUOTA');
  expect(result.root).toBe('disk full');
  expect(result.message).toBe('Over quota; delete keys first.\n\nDetails: used 1200 of 1024 bytes');
  expect(result.header).toBe('DEMO_QUOTA');
  expect(result.body).toEqual({ error: { code: 'DEMO_QUOTA', message: 'Over quota; delete keys first.', id: 'r-1' } });
});
