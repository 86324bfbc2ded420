import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importSnippet, readmeSnippet, waitUntil } from '../src/index.js';

describe('waitUntil', () => {
  it('returns the first truthy value of the condition', async () => {
    let calls = 0;
    const value = await waitUntil(() => (++calls >= 3 ? `call ${calls}` : undefined), 'three calls', { intervalMs: 1 });
    expect(value).toBe('call 3');
  });

  it('names what it waited for and keeps the last error as cause', async () => {
    const failure = waitUntil(
      () => {
        throw new Error('not yet');
      },
      'the node is up',
      { timeoutMs: 30, intervalMs: 5 },
    );
    await expect(failure).rejects.toThrow('timed out after 30 ms waiting until the node is up');
    await expect(failure).rejects.toHaveProperty('cause.message', 'not yet');
  });
});

describe('README snippets', () => {
  it('reads the block asked for and imports it with replacements', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mu-test-kit-'));
    const readme = join(root, 'README.md');
    writeFileSync(
      readme,
      '# x\n```sh\nnpm i\n```\n```ts\nexport const a = 1;\n```\n```ts\nexport const b = NAME;\n```\n',
    );
    expect(readmeSnippet(readme)).toBe('export const a = 1;\n');
    const module = await importSnippet(root, readmeSnippet(readme, { index: 1 }), { replace: [['NAME', '42']] });
    expect(module.b).toBe(42);
    expect(() => readmeSnippet(readme, { index: 2 })).toThrow('has 2 `ts` block(s); block 2 was asked for');
  });
});
