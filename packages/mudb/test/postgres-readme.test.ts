import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
    const section = readme.slice(readme.indexOf('## PostgreSQL backend'));
    const snippet = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(snippet).toBeDefined();
    // The package's public names, pointed at the sources (vitest resolves '@mu/mudb' but not its subpaths).
    const source = snippet!
      .replace(
        "from '@mu/mudb/postgres'",
        `from '${fileURLToPath(new URL('../src/postgres/index.ts', import.meta.url))}'`,
      )
      .replace("from '@mu/mudb'", `from '${fileURLToPath(new URL('../src/index.ts', import.meta.url))}'`);
    const directory = fileURLToPath(new URL('./.snippets/', import.meta.url));
    mkdirSync(directory, { recursive: true });
    const file = `${directory}postgres-readme.ts`;
    writeFileSync(file, source);
    process.env.DATABASE_URL = postgresUrl;
    process.env.MUDB_SCHEMA = schema;
    const result = (await import(/* @vite-ignore */ file)) as { visits: bigint; swapped: boolean; stored: number };
    expect(result.visits).toBe(2n);
    expect(result.swapped).toBe(true);
    // greeting → hi (1 + 7 + 8 + 2) and visits → 2 (1 + 7 + 6 + 1)
    expect(result.stored).toBe(18 + 15);
  });
});
