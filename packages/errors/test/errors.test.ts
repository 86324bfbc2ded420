import { describe, expect, it } from 'vitest';
// The built copy: a second, separately loaded copy of the package, as when a test aliases the main entry to
// source while a subpath of another package resolves to `dist`.
import * as built from '../dist/index.js';
import {
  errorBodyJson,
  errorCodeOf,
  errorHeaders,
  errorResponse,
  isMuError,
  MuError,
  walkCauses,
} from '../src/index.js';

class ThingError extends MuError<'THING_MISSING' | 'THING_BROKEN'> {
  override name = 'ThingError';
}

describe('MuError', () => {
  it('keeps code, short message, details and cause, and prints details under the message', () => {
    const cause = new Error('socket hang up');
    const error = new ThingError('THING_MISSING', 'No thing here; create one first.', { details: 'id: 7', cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ThingError');
    expect(error.code).toBe('THING_MISSING');
    expect(error.shortMessage).toBe('No thing here; create one first.');
    expect(error.details).toBe('id: 7');
    expect(error.cause).toBe(cause);
    expect(error.message).toBe('No thing here; create one first.\n\nDetails: id: 7');
  });

  it('has the short message alone when there are no details', () => {
    const error = new ThingError('THING_BROKEN', 'Broken.');
    expect(error.message).toBe('Broken.');
    expect(error.details).toBeUndefined();
  });

  it('walks to the deepest cause, or to the first cause a predicate accepts', () => {
    const root = Object.assign(new Error('ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const middle = new Error('request failed', { cause: root });
    const error = new ThingError('THING_BROKEN', 'Broken.', { cause: middle });
    expect(error.walk()).toBe(root);
    expect(error.walk((cause) => (cause as { code?: unknown }).code === 'ECONNREFUSED')).toBe(root);
    expect(error.walk((cause) => cause === middle)).toBe(middle);
    expect(error.walk(() => false)).toBeNull();
    expect(new ThingError('THING_BROKEN', 'alone').walk()).toBeInstanceOf(ThingError);
  });

  it('ends the walk on a cycle of causes', () => {
    const a: { cause?: unknown } = {};
    const b = { cause: a };
    a.cause = b;
    expect(walkCauses(a)).toBe(b);
    expect(walkCauses(a, () => false)).toBeNull();
  });
});

describe('isMuError', () => {
  it('holds for errors of another loaded copy of the package, where instanceof does not', () => {
    const fromBuilt = new built.MuError('THING_MISSING', 'from dist');
    expect(fromBuilt instanceof MuError).toBe(false);
    expect(isMuError(fromBuilt)).toBe(true);
    expect(built.isMuError(new ThingError('THING_MISSING', 'from source'))).toBe(true);
  });

  it('is false for plain errors, look-alikes and non-objects', () => {
    expect(isMuError(new Error('x'))).toBe(false);
    expect(isMuError({ code: 'THING_MISSING', shortMessage: 'duck' })).toBe(false);
    expect(isMuError(null)).toBe(false);
    expect(isMuError('MUDB_AUTH')).toBe(false);
  });
});

describe('error answers', () => {
  it('builds the JSON body with the id only when one is given', () => {
    expect(JSON.parse(errorBodyJson('GATEWAY_NO_NODE', 'none'))).toEqual({
      error: { code: 'GATEWAY_NO_NODE', message: 'none' },
    });
    expect(JSON.parse(errorBodyJson('RUNTIME_TIMEOUT', 'late', 'r1'))).toEqual({
      error: { code: 'RUNTIME_TIMEOUT', message: 'late', id: 'r1' },
    });
  });

  it('answers with status, JSON, the mu-error header and the request id', async () => {
    const response = errorResponse('RUNTIME_TIMEOUT', 'late', {
      status: 504,
      requestId: 'r1',
      headers: { 'retry-after': '1' },
    });
    expect(response.status).toBe(504);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('mu-error')).toBe('RUNTIME_TIMEOUT');
    expect(response.headers.get('mu-request-id')).toBe('r1');
    expect(response.headers.get('retry-after')).toBe('1');
    expect(errorCodeOf(response)).toBe('RUNTIME_TIMEOUT');
    expect(await response.json()).toEqual({ error: { code: 'RUNTIME_TIMEOUT', message: 'late', id: 'r1' } });
  });

  it('reads no code from an answer that is not a Mu error', () => {
    expect(errorCodeOf(new Response('not found', { status: 404 }))).toBeUndefined();
    expect(errorHeaders('X', undefined)).toEqual({ 'content-type': 'application/json', 'mu-error': 'X' });
  });
});
