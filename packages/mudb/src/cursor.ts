import { fromBase64Url, fromUtf8, toBase64Url } from './bytes.js';
import { BadCursorError } from './errors.js';

/** Every cursor starts with its format's version, so a later format can tell old cursors apart. */
const CURSOR_VERSION = 'c1.';

/** The cursor of a listing page: the last key it returned (bucket-relative bytes), versioned, base64url. */
export function encodeCursor(lastKey: Uint8Array): string {
  return CURSOR_VERSION + toBase64Url(lastKey);
}

/** The last key a cursor names. @throws BadCursorError when the cursor is not one {@link encodeCursor} made */
export function decodeCursor(cursor: string): Uint8Array {
  if (!cursor.startsWith(CURSOR_VERSION)) throw new BadCursorError(`a cursor starts with "${CURSOR_VERSION}"`);
  const bytes = fromBase64Url(cursor.slice(CURSOR_VERSION.length));
  if (bytes === undefined) throw new BadCursorError('the cursor is not valid base64url');
  try {
    fromUtf8(bytes);
  } catch {
    throw new BadCursorError('the cursor does not hold a key');
  }
  return bytes;
}
