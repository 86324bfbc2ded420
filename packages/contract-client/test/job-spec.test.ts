import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deserializeJobSpec,
  JOB_SPEC_LIMITS,
  JobSpecError,
  JobSpecTooLargeError,
  parseJobSpec,
  serializeJobSpec,
  validateJobSpec,
} from '../src/index.js';
import { sampleSpec } from './fixtures/job-spec.js';

function issuePaths(value: unknown): string[] {
  return validateJobSpec(value).map((issue) => issue.path);
}

describe('job spec schema', () => {
  it('accepts the documented shape, with and without kv', () => {
    expect(validateJobSpec(sampleSpec)).toEqual([]);
    const { kv: _kv, ...withoutKv } = sampleSpec;
    expect(parseJobSpec(withoutKv)).toEqual(withoutKv);
  });

  it('lists every wrong field with its path', () => {
    const paths = issuePaths({
      version: 2,
      name: '-bad-',
      code: { sha256: 'ABC', url: 'ftp://x', size: 0 },
      env: { '1X': 'v', OK: 3 },
      limits: { memoryMb: 0.5, timeoutMs: -1, maxBodyBytes: Number.MAX_SAFE_INTEGER },
      kv: { quotaBytes: -1 },
      extra: true,
    });
    expect(paths.sort()).toEqual(
      [
        'extra',
        'version',
        'name',
        'code.sha256',
        'code.url',
        'code.size',
        'env.1X',
        'env.OK',
        'limits.memoryMb',
        'limits.timeoutMs',
        'limits.maxBodyBytes',
        'kv.quotaBytes',
      ].sort(),
    );
  });

  it('refuses non-objects and missing sections', () => {
    expect(issuePaths(null)).toEqual(['']);
    expect(issuePaths([])).toEqual(['']);
    expect(issuePaths({ version: 1, name: 'a' })).toEqual(['code', 'env', 'limits']);
  });

  it('throws JobSpecError with the issues and a message that lists them', () => {
    try {
      parseJobSpec({ ...sampleSpec, limits: { ...sampleSpec.limits, memoryMb: 1e9 } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(JobSpecError);
      expect(error).toMatchObject({ code: 'JOB_SPEC_INVALID', issues: [{ path: 'limits.memoryMb' }] });
      expect((error as Error).message).toContain('limits.memoryMb: must be an integer from 1 to 4096');
    }
  });

  it('refuses a spec larger than the serialized limit', () => {
    const env = Object.fromEntries(Array.from({ length: 5 }, (_, index) => [`V${index}`, 'x'.repeat(4000)]));
    expect(() => parseJobSpec({ ...sampleSpec, env })).toThrow(JobSpecTooLargeError);
    expect(() => deserializeJobSpec(new Uint8Array(JOB_SPEC_LIMITS.maxSerializedBytes + 1))).toThrow(
      JobSpecTooLargeError,
    );
  });

  it('serializes canonically: field order does not depend on the input', () => {
    const reordered = {
      limits: { maxBodyBytes: 1_048_576, timeoutMs: 10_000, memoryMb: 128 },
      kv: { quotaBytes: 10_485_760 },
      env: sampleSpec.env,
      code: { size: sampleSpec.code.size, url: sampleSpec.code.url, sha256: sampleSpec.code.sha256 },
      name: sampleSpec.name,
      version: 1 as const,
    };
    expect(serializeJobSpec(reordered)).toEqual(serializeJobSpec(sampleSpec));
    expect(new TextDecoder().decode(serializeJobSpec(sampleSpec))).toMatch(/^\{"version":1,"name":"hello-mu","code"/);
  });

  it('round-trips any valid spec through its bytes (property)', () => {
    const spec = fc.record(
      {
        version: fc.constant(1 as const),
        name: fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?$/),
        code: fc.record({
          sha256: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')),
          url: fc.webUrl({ validSchemes: ['https', 'http'] }).filter((url) => url.length <= 2048),
          size: fc.integer({ min: 1, max: JOB_SPEC_LIMITS.maxCodeSize }),
        }),
        env: fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/), fc.string({ maxLength: 40 }), { maxKeys: 8 }),
        limits: fc.record({
          memoryMb: fc.integer({ min: 1, max: JOB_SPEC_LIMITS.maxMemoryMb }),
          timeoutMs: fc.integer({ min: 1, max: JOB_SPEC_LIMITS.maxTimeoutMs }),
          maxBodyBytes: fc.integer({ min: 0, max: JOB_SPEC_LIMITS.maxBodyBytes }),
        }),
        kv: fc.record({ quotaBytes: fc.nat() }),
      },
      { requiredKeys: ['version', 'name', 'code', 'env', 'limits'] },
    );
    fc.assert(
      fc.property(spec, (value) => {
        expect(deserializeJobSpec(serializeJobSpec(value))).toEqual(value);
      }),
    );
  });

  it('reports bytes that are not UTF-8 JSON as JOB_SPEC_INVALID', () => {
    expect(() => deserializeJobSpec(new Uint8Array([0xff, 0xfe]))).toThrow(JobSpecError);
    expect(() => deserializeJobSpec(new TextEncoder().encode('{'))).toThrow(JobSpecError);
  });
});
