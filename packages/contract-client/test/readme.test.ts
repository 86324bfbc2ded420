import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONTRACT_ERROR_HINTS, contractErrorCode } from '../src/index.js';

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');

describe('README', () => {
  it('runs its first TypeScript example', async () => {
    const snippet = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(snippet).toBeDefined();
    const directory = fileURLToPath(new URL('../.cache/', import.meta.url));
    mkdirSync(directory, { recursive: true });
    const file = `${directory}readme-snippet.ts`;
    writeFileSync(file, snippet!);
    await expect(import(/* @vite-ignore */ file)).resolves.toBeDefined();
  });

  it('lists every error code', () => {
    const codes = [
      'CRYPTO_ENVELOPE_MALFORMED',
      'CRYPTO_ENVELOPE_VERSION',
      'CRYPTO_DECRYPTION_FAILED',
      'JOB_SPEC_INVALID',
      'JOB_SPEC_TOO_LARGE',
      'SETTLEMENT_CONFLICTING_REPORTS',
      'WATCH_REORGANIZED',
      'PROTOCOL_MISMATCH',
      'CONTRACT_REVERTED',
      'CONTRACT_USER_REJECTED',
      'CONTRACT_CALL_FAILED',
      ...Object.keys(CONTRACT_ERROR_HINTS).map(contractErrorCode),
    ];
    for (const code of codes) expect(readme, code).toContain(`\`${code}\``);
  });
});
