// hello: the smallest Mu app. GET /{name} answers a greeting; the greeting word comes from the spec's env.
// GET /{name}?work={ms} first keeps the CPU busy for that long (at most 2000 ms): CPU shows in the usage report.
import { get } from 'mu:app/config@0.1.0';

// QuickJS has no TextEncoder: UTF-8 by hand.
function utf8(text) {
  const binary = unescape(encodeURIComponent(text));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function work(milliseconds) {
  const end = Date.now() + Math.min(milliseconds, 2000);
  let spins = 0;
  while (Date.now() < end) spins++;
  return spins;
}

export function handle(request) {
  const [path, query = ''] = request.url.replace(/^[a-z]+:\/\/[^/]*/, '').split('?');
  const busy = /(?:^|&)work=(\d+)/.exec(query);
  if (busy) work(Number(busy[1]));
  const name = decodeURIComponent(path.slice(1)) || 'world';
  const greeting = get('GREETING') ?? 'hello';
  return {
    status: 200,
    headers: [['content-type', 'text/plain; charset=utf-8']],
    body: utf8(`${greeting}, ${name}!\n`),
  };
}
