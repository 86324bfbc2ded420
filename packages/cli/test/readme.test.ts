import { importSnippet, readmeSnippet } from '@mu/test-kit';
import { expect, it } from 'vitest';

it('runs the README snippet as written', async () => {
  // The snippet ends by exporting what it computed, so the test checks values.
  const result = await importSnippet(
    new URL('..', import.meta.url),
    readmeSnippet(new URL('../README.md', import.meta.url)),
  );
  expect(result.exitCodes).toEqual([0, 0]);
  expect(result.counts).toEqual([1, 2]);
});
