import { createDecipheriv, createECDH, hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../src/bytes.js';
import {
  ContractClientError,
  DecryptionError,
  decryptBytes,
  decryptJobSpec,
  ENVELOPE_OVERHEAD_BYTES,
  type EncryptionContext,
  EnvelopeMalformedError,
  EnvelopeVersionError,
  encryptBytes,
  encryptJobSpec,
  generateEncryptionKey,
  getEncryptionPublicKey,
  JOB_SPEC_LIMITS,
  JobSpecError,
  JobSpecTooLargeError,
  serializeJobSpec,
} from '../src/index.js';
import { sampleContext, sampleSpec } from './fixtures/job-spec.js';

const recipient = generateEncryptionKey();
const TYPED_CODES = new Set(['CRYPTO_ENVELOPE_MALFORMED', 'CRYPTO_ENVELOPE_VERSION', 'CRYPTO_DECRYPTION_FAILED']);

function typedFailure(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ContractClientError) return error.code;
    throw error;
  }
  throw new Error('expected a typed error, got a plaintext');
}

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((bytes) => toHex(bytes));
const context: fc.Arbitrary<EncryptionContext> = fc.record({
  chainId: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
  contract: address,
  client: address,
  provider: address,
});

describe('job spec envelope', () => {
  it('generates keys whose public half is a 33-byte compressed point', () => {
    const key = generateEncryptionKey();
    expect(key.privateKey).toHaveLength(32);
    expect(key.publicKey).toMatch(/^0x0[23][0-9a-f]{64}$/);
    expect(getEncryptionPublicKey(key.privateKey)).toBe(key.publicKey);
    expect(generateEncryptionKey().publicKey).not.toBe(key.publicKey);
  });

  it('round-trips a job spec under the same key and context', () => {
    const envelope = encryptJobSpec(sampleSpec, recipient.publicKey, sampleContext);
    expect(envelope[0]).toBe(1);
    expect(decryptJobSpec(envelope, recipient.privateKey, sampleContext)).toEqual(sampleSpec);
    expect(decryptJobSpec(toHex(envelope), toHex(recipient.privateKey), sampleContext)).toEqual(sampleSpec);
  });

  it('fits the largest valid spec in the contract cap of 16384 bytes', () => {
    const spec = {
      ...sampleSpec,
      env: { BIG: 'x'.repeat(4096), MORE: 'y'.repeat(4096), EVEN: 'z'.repeat(4096), LAST: '' },
    };
    spec.env.LAST = 'w'.repeat(JOB_SPEC_LIMITS.maxSerializedBytes - serializeJobSpec(spec).length);
    const envelope = encryptJobSpec(spec, recipient.publicKey, sampleContext);
    expect(envelope.length).toBe(JOB_SPEC_LIMITS.maxSerializedBytes + ENVELOPE_OVERHEAD_BYTES);
    expect(envelope.length).toBe(16_384);
    expect(() =>
      encryptJobSpec({ ...spec, env: { ...spec.env, LAST: `${spec.env.LAST}w` } }, recipient.publicKey, sampleContext),
    ).toThrow(JobSpecTooLargeError);
  });

  it('uses a fresh ephemeral key and nonce for every envelope', () => {
    const first = encryptJobSpec(sampleSpec, recipient.publicKey, sampleContext);
    const second = encryptJobSpec(sampleSpec, recipient.publicKey, sampleContext);
    expect(toHex(first)).not.toBe(toHex(second));
  });

  it('round-trips any bytes under any context (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), context, (plaintext, ctx) => {
        const envelope = encryptBytes(plaintext, recipient.publicKey, ctx);
        expect(envelope).toHaveLength(plaintext.length + ENVELOPE_OVERHEAD_BYTES);
        expect(decryptBytes(envelope, recipient.privateKey, ctx)).toEqual(plaintext);
      }),
      { numRuns: 100 },
    );
  });

  it('gives a typed error, never a plaintext, when any bit of the envelope is flipped (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (plaintext, at, bit) => {
        const envelope = encryptBytes(plaintext, recipient.publicKey, sampleContext);
        const index = at % envelope.length;
        envelope[index]! ^= 1 << bit;
        const code = typedFailure(() => decryptBytes(envelope, recipient.privateKey, sampleContext));
        expect(TYPED_CODES.has(code)).toBe(true);
        if (index === 0) expect(code).toBe('CRYPTO_ENVELOPE_VERSION');
        if (index >= 34) expect(code).toBe('CRYPTO_DECRYPTION_FAILED');
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a truncated or extended envelope (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.nat(),
        fc.uint8Array({ minLength: 1, maxLength: 8 }),
        (plaintext, cut, extra) => {
          const envelope = encryptBytes(plaintext, recipient.publicKey, sampleContext);
          const truncated = envelope.subarray(0, cut % envelope.length);
          expect(
            TYPED_CODES.has(typedFailure(() => decryptBytes(truncated, recipient.privateKey, sampleContext))),
          ).toBe(true);
          const extended = new Uint8Array([...envelope, ...extra]);
          expect(typedFailure(() => decryptBytes(extended, recipient.privateKey, sampleContext))).toBe(
            'CRYPTO_DECRYPTION_FAILED',
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses the wrong private key (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (plaintext) => {
        const envelope = encryptBytes(plaintext, recipient.publicKey, sampleContext);
        const other = generateEncryptionKey();
        expect(() => decryptBytes(envelope, other.privateKey, sampleContext)).toThrow(DecryptionError);
      }),
      { numRuns: 50 },
    );
  });

  it('refuses a context that differs in any field (property)', () => {
    fc.assert(
      fc.property(
        context,
        context,
        fc.constantFrom('chainId', 'contract', 'client', 'provider'),
        (ctx, other, field) => {
          fc.pre(String(ctx[field]).toLowerCase() !== String(other[field]).toLowerCase());
          const envelope = encryptBytes(new Uint8Array([1, 2, 3]), recipient.publicKey, ctx);
          const changed = { ...ctx, [field]: other[field] };
          expect(() => decryptBytes(envelope, recipient.privateKey, changed)).toThrow(DecryptionError);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reads addresses in the context case-insensitively', () => {
    const envelope = encryptJobSpec(sampleSpec, recipient.publicKey, sampleContext);
    const lower = Object.fromEntries(
      Object.entries(sampleContext).map(([key, value]) => [
        key,
        typeof value === 'string' ? value.toLowerCase() : value,
      ]),
    ) as unknown as EncryptionContext;
    expect(decryptJobSpec(envelope, recipient.privateKey, lower)).toEqual(sampleSpec);
  });

  it('names the failure: version, malformed ephemeral key, short envelope', () => {
    const envelope = encryptBytes(new Uint8Array(4), recipient.publicKey, sampleContext);
    const future = Uint8Array.from(envelope);
    future[0] = 2;
    const error = (() => {
      try {
        decryptBytes(future, recipient.privateKey, sampleContext);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(EnvelopeVersionError);
    expect(error).toMatchObject({ code: 'CRYPTO_ENVELOPE_VERSION', version: 2 });
    const badPoint = Uint8Array.from(envelope);
    badPoint[1] = 0x05;
    expect(() => decryptBytes(badPoint, recipient.privateKey, sampleContext)).toThrow(EnvelopeMalformedError);
    expect(() => decryptBytes(envelope.subarray(0, 10), recipient.privateKey, sampleContext)).toThrow(
      EnvelopeMalformedError,
    );
  });

  it('checks arguments with TypeError/RangeError before doing anything', () => {
    expect(() => encryptBytes(new Uint8Array(1), '0x1234', sampleContext)).toThrow(TypeError);
    expect(() => encryptBytes(new Uint8Array(1), recipient.publicKey, { ...sampleContext, client: '0x12' })).toThrow(
      TypeError,
    );
    expect(() => encryptBytes(new Uint8Array(1), recipient.publicKey, { ...sampleContext, chainId: -1n })).toThrow(
      RangeError,
    );
    expect(() => decryptBytes(new Uint8Array(80), new Uint8Array(32), sampleContext)).toThrow(TypeError);
    expect(() => decryptBytes('zz', recipient.privateKey, sampleContext)).toThrow(TypeError);
  });

  it('refuses to encrypt an invalid spec and reports a decrypted non-spec as JOB_SPEC_INVALID', () => {
    expect(() => encryptJobSpec({ ...sampleSpec, name: 'Bad Name' }, recipient.publicKey, sampleContext)).toThrow(
      JobSpecError,
    );
    const envelope = encryptBytes(new TextEncoder().encode('{"version":2}'), recipient.publicKey, sampleContext);
    expect(() => decryptJobSpec(envelope, recipient.privateKey, sampleContext)).toThrow(JobSpecError);
  });
});

describe('envelope test vector', () => {
  const recipientPrivateKey = '0x0101010101010101010101010101010101010101010101010101010101010101';
  const ephemeralPrivateKey = '0x0202020202020202020202020202020202020202020202020202020202020202';
  const nonce = '0x030303030303030303030303';
  const plaintext = new TextEncoder().encode('{"hello":"mu"}');

  it('matches an independent node:crypto implementation of the format', () => {
    const envelope = encryptBytes(plaintext, getEncryptionPublicKey(recipientPrivateKey), sampleContext, {
      ephemeralPrivateKey,
      nonce,
    });
    // Recompute the expected envelope from the written specification with Node's OpenSSL primitives.
    const recipientEcdh = createECDH('secp256k1');
    recipientEcdh.setPrivateKey(Buffer.from(recipientPrivateKey.slice(2), 'hex'));
    const ephemeralEcdh = createECDH('secp256k1');
    ephemeralEcdh.setPrivateKey(Buffer.from(ephemeralPrivateKey.slice(2), 'hex'));
    const ephemeralPublic = ephemeralEcdh.getPublicKey(null, 'compressed');
    const recipientPublic = recipientEcdh.getPublicKey(null, 'compressed');
    const sharedX = ephemeralEcdh.computeSecret(recipientPublic);
    const key = Buffer.from(
      hkdfSync(
        'sha256',
        sharedX,
        Buffer.concat([ephemeralPublic, recipientPublic]),
        Buffer.from('mu/job-spec/v1/aes-256-gcm'),
        32,
      ),
    );
    const header = Buffer.concat([Buffer.from([1]), ephemeralPublic, Buffer.from(nonce.slice(2), 'hex')]);
    const aad = Buffer.concat([
      Buffer.from('mu/job-spec/v1'),
      header.subarray(0, 34),
      Buffer.from(sampleContext.chainId.toString(16).padStart(64, '0'), 'hex'),
      Buffer.from(sampleContext.contract.slice(2), 'hex'),
      Buffer.from(sampleContext.client.slice(2), 'hex'),
      Buffer.from(sampleContext.provider.slice(2), 'hex'),
    ]);
    const body = Buffer.from(envelope.subarray(46));
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce.slice(2), 'hex'));
    decipher.setAAD(aad);
    decipher.setAuthTag(body.subarray(body.length - 16));
    const opened = Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
    expect(Buffer.from(envelope.subarray(0, 46)).equals(header)).toBe(true);
    expect(new Uint8Array(opened)).toEqual(plaintext);
  });

  it('stays byte-for-byte stable (format version 1)', () => {
    const envelope = encryptBytes(plaintext, getEncryptionPublicKey(recipientPrivateKey), sampleContext, {
      ephemeralPrivateKey,
      nonce,
    });
    expect(toHex(envelope)).toMatchInlineSnapshot(
      `"0x01024d4b6cd1361032ca9bd2aeb9d900aa4d45d9ead80ac9423374c451a7254d0766030303030303030303030303779a350dc01e8556ed88b6a8270f40c0098bd2714631390926089dfac63a"`,
    );
  });
});
