import { JobSpecError, type JobSpecIssue, JobSpecTooLargeError } from './errors.js';

/**
 * What a client asks a provider to run (DESIGN.md "Interfaces that must not drift"). Encrypted to the
 * provider's key before it goes on chain; validated by the CLI before encryption and by the executor
 * after decryption, with the same {@link parseJobSpec}.
 */
export interface JobSpec {
  version: 1;
  /** A DNS label: lowercase letters, digits and `-`, 1-63 characters, no leading or trailing `-`. */
  name: string;
  code: {
    /** sha256 of the component's bytes: 64 lowercase hex characters, no `0x`. */
    sha256: string;
    /** Where the provider fetches the component: an `https:`, `http:` or `ipfs:` URL. */
    url: string;
    /** Size of the component in bytes. */
    size: number;
  };
  /** Environment given to the app: names like `API_URL`, string values. */
  env: Record<string, string>;
  limits: {
    memoryMb: number;
    timeoutMs: number;
    maxBodyBytes: number;
  };
  kv?: { quotaBytes: number };
}

/** Limits of the job spec schema; public so the CLI can explain them. */
export const JOB_SPEC_LIMITS = {
  /**
   * UTF-8 bytes of the serialized spec (before encryption): the contract's `MAX_SPEC_BYTES` (16384) minus
   * the envelope overhead (62), so every valid spec fits on chain once encrypted.
   */
  maxSerializedBytes: 16_322,
  maxNameLength: 63,
  maxUrlLength: 2048,
  maxCodeSize: 64 * 1024 * 1024,
  maxEnvEntries: 64,
  maxEnvNameLength: 128,
  maxEnvValueBytes: 4096,
  maxMemoryMb: 4096,
  maxTimeoutMs: 15 * 60 * 1000,
  maxBodyBytes: 100 * 1024 * 1024,
} as const;

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const URL_SCHEMES = new Set(['https:', 'http:', 'ipfs:']);
const encoder = new TextEncoder();

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(value: Record<string, unknown>, path: string, allowed: readonly string[], issues: JobSpecIssue[]) {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) issues.push({ path: path ? `${path}.${key}` : key, message: 'unknown field' });
  }
}

function checkInteger(value: unknown, path: string, min: number, max: number, issues: JobSpecIssue[]): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    issues.push({ path, message: `must be an integer from ${min} to ${max}` });
    return 0;
  }
  return value;
}

/**
 * Checks a value against the job spec schema and returns every issue found (empty when valid).
 *
 * @example
 * ```ts
 * const issues = validateJobSpec(JSON.parse(text));
 * if (issues.length > 0) console.error(issues);
 * ```
 */
export function validateJobSpec(value: unknown): JobSpecIssue[] {
  const issues: JobSpecIssue[] = [];
  if (!isRecord(value)) return [{ path: '', message: 'must be an object' }];
  checkKeys(value, '', ['version', 'name', 'code', 'env', 'limits', 'kv'], issues);
  if (value.version !== 1) issues.push({ path: 'version', message: 'must be 1' });
  if (typeof value.name !== 'string' || !NAME.test(value.name)) {
    issues.push({
      path: 'name',
      message: 'must be a DNS label: 1-63 of a-z, 0-9 and -, not starting or ending with -',
    });
  }

  const code = value.code;
  if (!isRecord(code)) issues.push({ path: 'code', message: 'must be an object' });
  else {
    checkKeys(code, 'code', ['sha256', 'url', 'size'], issues);
    if (typeof code.sha256 !== 'string' || !SHA256_HEX.test(code.sha256)) {
      issues.push({ path: 'code.sha256', message: 'must be 64 lowercase hex characters (no 0x)' });
    }
    if (typeof code.url !== 'string' || code.url.length > JOB_SPEC_LIMITS.maxUrlLength || !isFetchableUrl(code.url)) {
      issues.push({
        path: 'code.url',
        message: `must be an https:, http: or ipfs: URL of at most ${JOB_SPEC_LIMITS.maxUrlLength} characters`,
      });
    }
    checkInteger(code.size, 'code.size', 1, JOB_SPEC_LIMITS.maxCodeSize, issues);
  }

  const env = value.env;
  if (!isRecord(env)) issues.push({ path: 'env', message: 'must be an object of strings' });
  else {
    const entries = Object.entries(env);
    if (entries.length > JOB_SPEC_LIMITS.maxEnvEntries) {
      issues.push({ path: 'env', message: `must have at most ${JOB_SPEC_LIMITS.maxEnvEntries} entries` });
    }
    for (const [name, envValue] of entries) {
      if (!ENV_NAME.test(name) || name.length > JOB_SPEC_LIMITS.maxEnvNameLength) {
        issues.push({
          path: `env.${name}`,
          message: 'name must match [A-Za-z_][A-Za-z0-9_]* (at most 128 characters)',
        });
      }
      if (typeof envValue !== 'string') issues.push({ path: `env.${name}`, message: 'must be a string' });
      else if (encoder.encode(envValue).length > JOB_SPEC_LIMITS.maxEnvValueBytes) {
        issues.push({ path: `env.${name}`, message: `must be at most ${JOB_SPEC_LIMITS.maxEnvValueBytes} bytes` });
      }
    }
  }

  const limits = value.limits;
  if (!isRecord(limits)) issues.push({ path: 'limits', message: 'must be an object' });
  else {
    checkKeys(limits, 'limits', ['memoryMb', 'timeoutMs', 'maxBodyBytes'], issues);
    checkInteger(limits.memoryMb, 'limits.memoryMb', 1, JOB_SPEC_LIMITS.maxMemoryMb, issues);
    checkInteger(limits.timeoutMs, 'limits.timeoutMs', 1, JOB_SPEC_LIMITS.maxTimeoutMs, issues);
    checkInteger(limits.maxBodyBytes, 'limits.maxBodyBytes', 0, JOB_SPEC_LIMITS.maxBodyBytes, issues);
  }

  if (value.kv !== undefined) {
    const kv = value.kv;
    if (!isRecord(kv)) issues.push({ path: 'kv', message: 'must be an object' });
    else {
      checkKeys(kv, 'kv', ['quotaBytes'], issues);
      checkInteger(kv.quotaBytes, 'kv.quotaBytes', 0, Number.MAX_SAFE_INTEGER, issues);
    }
  }
  return issues;
}

function isFetchableUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return URL_SCHEMES.has(url.protocol);
  } catch {
    return false;
  }
}

/**
 * Validates a value and returns it as a {@link JobSpec}, copied field by field in a fixed order
 * (so its serialization is canonical) with nothing unknown kept.
 *
 * @throws {JobSpecError} `JOB_SPEC_INVALID` listing every issue.
 * @throws {JobSpecTooLargeError} `JOB_SPEC_TOO_LARGE` when the serialized spec exceeds {@link JOB_SPEC_LIMITS}.
 * @example
 * ```ts
 * const spec = parseJobSpec(JSON.parse(await readFile('mu.job.json', 'utf8')));
 * ```
 */
export function parseJobSpec(value: unknown): JobSpec {
  const issues = validateJobSpec(value);
  if (issues.length > 0) throw new JobSpecError(issues);
  const input = value as JobSpec;
  const spec: JobSpec = {
    version: 1,
    name: input.name,
    code: { sha256: input.code.sha256, url: input.code.url, size: input.code.size },
    env: Object.fromEntries(Object.entries(input.env)),
    limits: {
      memoryMb: input.limits.memoryMb,
      timeoutMs: input.limits.timeoutMs,
      maxBodyBytes: input.limits.maxBodyBytes,
    },
  };
  if (input.kv !== undefined) spec.kv = { quotaBytes: input.kv.quotaBytes };
  const size = encoder.encode(JSON.stringify(spec)).length;
  if (size > JOB_SPEC_LIMITS.maxSerializedBytes)
    throw new JobSpecTooLargeError(size, JOB_SPEC_LIMITS.maxSerializedBytes);
  return spec;
}

/**
 * The canonical UTF-8 JSON bytes of a job spec (the plaintext that {@link encryptJobSpec} encrypts).
 *
 * @throws {JobSpecError} / {@link JobSpecTooLargeError} as {@link parseJobSpec}.
 * @example
 * ```ts
 * const bytes = serializeJobSpec(spec);
 * ```
 */
export function serializeJobSpec(spec: JobSpec): Uint8Array {
  return encoder.encode(JSON.stringify(parseJobSpec(spec)));
}

/**
 * Parses the bytes {@link serializeJobSpec} produced, with full validation.
 *
 * @throws {JobSpecError} when the bytes are not JSON or not a valid spec.
 * @example
 * ```ts
 * const spec = deserializeJobSpec(bytes);
 * ```
 */
export function deserializeJobSpec(bytes: Uint8Array): JobSpec {
  if (bytes.length > JOB_SPEC_LIMITS.maxSerializedBytes) {
    throw new JobSpecTooLargeError(bytes.length, JOB_SPEC_LIMITS.maxSerializedBytes);
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new JobSpecError([{ path: '', message: 'is not UTF-8 JSON' }], { cause });
  }
  return parseJobSpec(value);
}
