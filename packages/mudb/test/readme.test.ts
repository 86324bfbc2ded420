import { importSnippet, readmeSnippet } from '@mu/test-kit';
import { expect, it } from 'vitest';

it('runs the README snippet as written', async () => {
  // The snippet ends by exporting what it computed, so the test checks values, not just "did not throw".
  const result = (await importSnippet(
    new URL('..', import.meta.url),
    readmeSnippet(new URL('../README.md', import.meta.url)),
  )) as {
    greeting: string;
    visits: bigint;
    page: string[];
  };
  expect(result.greeting).toBe('hello');
  expect(result.visits).toBe(2n);
  expect(result.page).toEqual(['todo/1', 'todo/2']);
});
