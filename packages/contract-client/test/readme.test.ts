import { readFileSync } from 'node:fs';
import { importSnippet, readmeSnippet } from '@mu/test-kit';
import { describe, expect, it } from 'vitest';
import { CONTRACT_ERROR_HINTS, contractErrorCode } from '../src/index.js';

const readmeUrl = new URL('../README.md', import.meta.url);
const readme = readFileSync(readmeUrl, 'utf8');

describe('README', () => {
  it('runs its first TypeScript example: the spec round-trips, the report is signed by the node, one settlement', async () => {
    const snippet = await importSnippet(new URL('..', import.meta.url), readmeSnippet(readmeUrl));
    expect(snippet.openedName).toBe('hello-mu');
    expect(snippet.signedBy).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(snippet.settledReports).toBe(1);
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
