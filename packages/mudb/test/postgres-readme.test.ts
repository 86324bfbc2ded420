import { fileURLToPath } from 'node:url';
import { importSnippet, readmeSnippet } from '@mu/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import {
  dropSchemas,
  freshSchema,
  postgresUnavailable,
  postgresUrl,
  requirePostgres,
} from './fixtures/postgres-env.js';

const unavailable = await postgresUnavailable();
if (unavailable !== undefined && !requirePostgres) {
  console.warn(`Skipping the PostgreSQL README snippet: ${unavailable}. Set MU_PG_URL to point at one.`);
}

const schema = freshSchema('readme');
afterAll(async () => {
  if (unavailable === undefined) await dropSchemas([schema]);
});

describe.skipIf(unavailable !== undefined && !requirePostgres)('PostgreSQL README section', () => {
  it('runs the snippet as written', async () => {
    if (unavailable !== undefined) throw new Error(unavailable);
    // The second `ts` block of the README is the one of its PostgreSQL section.
    const snippet = readmeSnippet(new URL('../README.md', import.meta.url), { index: 1 });
    expect(snippet).toContain("from '@mu/mudb/postgres'");
    process.env.DATABASE_URL = postgresUrl;
    process.env.MUDB_SCHEMA = schema;
    // The package's public names, pointed at the sources (vitest resolves '@mu/mudb' but not its subpaths).
    const result = (await importSnippet(new URL('..', import.meta.url), snippet, {
      name: 'postgres-readme.ts',
      replace: [
        ["from '@mu/mudb/postgres'", `from '${fileURLToPath(new URL('../src/postgres/index.ts', import.meta.url))}'`],
        ["from '@mu/mudb'", `from '${fileURLToPath(new URL('../src/index.ts', import.meta.url))}'`],
      ],
    })) as { visits: bigint; swapped: boolean; stored: number };
    expect(result.visits).toBe(2n);
    expect(result.swapped).toBe(true);
    // greeting → hi (1 + 7 + 8 + 2) and visits → 2 (1 + 7 + 6 + 1)
    expect(result.stored).toBe(18 + 15);
  });
});
