import { describe, expect, it } from 'vitest';
import { muInterface } from '../src/client.js';
import {
  ChainReorganizedError,
  ConflictingReportsError,
  DecryptionError,
  decodeContractErrorData,
  EnvelopeMalformedError,
  EnvelopeVersionError,
  JobSpecError,
  JobSpecTooLargeError,
  ProtocolMismatchError,
} from '../src/index.js';

// Messages may change, but only on purpose: they are pinned here (codes are pinned in contract-errors.test.ts).
describe('error messages', () => {
  it('of the package errors', () => {
    const errors = [
      new EnvelopeMalformedError({ details: '10 bytes; an envelope has at least 62' }),
      new EnvelopeVersionError(2),
      new DecryptionError(),
      new JobSpecError([{ path: 'limits.memoryMb', message: 'must be an integer from 1 to 4096' }]),
      new JobSpecTooLargeError(20_000, 16_322),
      new ConflictingReportsError({}, {}, 1n, '0x00000000000000000000000000000000000000aa', 2n),
      new ChainReorganizedError(7, '0xaa', '0xbb'),
      new ProtocolMismatchError(['REPORT_SIZE is 146, expected 145']),
    ];
    expect(errors.map((error) => `${error.name} ${error.code}: ${error.message}`)).toMatchSnapshot();
  });

  it('of decoded contract errors', () => {
    const contractInterface = muInterface();
    const messages: string[] = [];
    contractInterface.forEachError((fragment) => {
      const args = fragment.inputs.map((input) =>
        input.type === 'address'
          ? '0x00000000000000000000000000000000000000aa'
          : input.type.startsWith('uint')
            ? 7n
            : input.type === 'bytes32'
              ? `0x${'ab'.repeat(32)}`
              : input.type === 'bytes'
                ? '0x12'
                : 'text',
      );
      const error = decodeContractErrorData(contractInterface, contractInterface.encodeErrorResult(fragment, args))!;
      messages.push(`${error.name}: ${error.message}`);
    });
    expect(messages.sort()).toMatchSnapshot();
  });
});
