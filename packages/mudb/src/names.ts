import { isWellFormed, utf8 } from './bytes.js';

/** Validates a namespace or bucket name: a well-formed string of 1 to 255 UTF-8 bytes. @throws TypeError, RangeError */
export function checkName(name: string, what: string): void {
  if (typeof name !== 'string') throw new TypeError(`${what} name must be a string`);
  if (!isWellFormed(name)) throw new TypeError(`${what} name must be a well-formed Unicode string`);
  const length = utf8(name).length;
  if (length === 0 || length > 255) throw new RangeError(`${what} name must hold 1 to 255 UTF-8 bytes, got ${length}`);
}
