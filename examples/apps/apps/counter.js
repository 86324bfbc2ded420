// counter: a visit counter in MuDB through wasi:keyvalue. Every node of the provider shares the store, so the
// count is the same whichever node answers.
//   POST /{name}  atomically adds 1 and answers the new value
//   GET  /{name}  answers the current value (0 when never incremented)
import { increment } from 'wasi:keyvalue/atomics@0.2.0-draft2';
import { open } from 'wasi:keyvalue/store@0.2.0-draft2';

function utf8(text) {
  const binary = unescape(encodeURIComponent(text));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
function json(status, value) {
  return { status, headers: [['content-type', 'application/json']], body: utf8(`${JSON.stringify(value)}\n`) };
}

export function handle(request) {
  const path = request.url.replace(/^[a-z]+:\/\/[^/]*/, '').split('?')[0];
  const name = decodeURIComponent(path.slice(1)) || 'visits';
  const key = `counter:${name}`;
  const bucket = open('default');
  if (request.method === 'POST') {
    return json(200, { name, value: Number(increment(bucket, key, 1)) });
  }
  if (request.method === 'GET') {
    // increment by 0 reads the counter atomically (a counter is stored in MuDB's own encoding)
    return json(200, { name, value: Number(increment(bucket, key, 0)) });
  }
  return json(405, { error: 'use GET or POST' });
}
