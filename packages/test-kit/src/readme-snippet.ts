import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Options of {@link readmeSnippet}. */
export interface ReadmeSnippetOptions {
  /** The fence's language (default `ts`). */
  language?: string;
  /** Which block of that language, from 0 (default 0: the first). */
  index?: number;
}

/**
 * The source of one fenced code block of a README.
 *
 * @param readme - the README's URL or path.
 * @throws {Error} when the README has no such block.
 * @example
 * ```ts
 * const source = readmeSnippet(new URL('../README.md', import.meta.url));
 * ```
 */
export function readmeSnippet(readme: URL | string, options: ReadmeSnippetOptions = {}): string {
  const path = readme instanceof URL ? fileURLToPath(readme) : readme;
  const language = options.language ?? 'ts';
  const index = options.index ?? 0;
  const text = readFileSync(path, 'utf8');
  const blocks = [...text.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g'))].map(
    (match) => match[1]!,
  );
  const block = blocks[index];
  if (block === undefined) {
    throw new Error(`${path} has ${blocks.length} \`${language}\` block(s); block ${index} was asked for`);
  }
  return block;
}

/** Options of {@link importSnippet}. */
export interface ImportSnippetOptions {
  /** The snippet's file name (default `readme.ts`). */
  name?: string;
  /** Text to replace in the source before it is written (`from '@mu/x'` → a path), in order. */
  replace?: Array<[string, string]>;
}

/**
 * Writes a snippet as a module under the package's gitignored `.cache/snippets/` and imports it. A README
 * snippet ends by exporting what it computed, so the test checks values, not just "did not throw".
 *
 * @param packageRoot - the URL or path of the package whose README it is (the cache goes under it).
 * @example
 * ```ts
 * const result = await importSnippet(new URL('..', import.meta.url), readmeSnippet(readmeUrl));
 * expect(result.visits).toBe(2n);
 * ```
 */
export async function importSnippet(
  packageRoot: URL | string,
  source: string,
  options: ImportSnippetOptions = {},
): Promise<Record<string, unknown>> {
  const root = packageRoot instanceof URL ? fileURLToPath(packageRoot) : packageRoot;
  let text = source;
  for (const [from, to] of options.replace ?? []) text = text.replaceAll(from, to);
  const file = join(root, '.cache', 'snippets', options.name ?? 'readme.ts');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  // A query string makes a second import of a rewritten file load the new text.
  return (await import(/* @vite-ignore */ `${pathToFileURL(file).href}?t=${Date.now()}`)) as Record<string, unknown>;
}
