// todo: a small JSON API over MuDB. Items are stored under `todo:{list}:{id}`; listing reads keys by prefix.
//   GET    /todos/{list}         the list's items, in id order
//   POST   /todos/{list}         body {"title": "..."} → 201 with the new item ({ id, title, done })
//   GET    /todos/{list}/{id}    one item (404 when missing)
//   PUT    /todos/{list}/{id}    body {"title"?, "done"?} → the updated item
//   DELETE /todos/{list}/{id}    204
import { increment } from 'wasi:keyvalue/atomics@0.2.0-draft2';
import { open } from 'wasi:keyvalue/store@0.2.0-draft2';

function utf8(text) {
  const binary = unescape(encodeURIComponent(text));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
function text(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
  return decodeURIComponent(escape(binary));
}
function json(status, value) {
  return { status, headers: [['content-type', 'application/json']], body: utf8(`${JSON.stringify(value)}\n`) };
}
function error(status, message) {
  return json(status, { error: message });
}
function readBody(request) {
  if (request.body.length === 0) return {};
  try {
    const value = JSON.parse(text(request.body));
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
// Zero-padded ids keep the keys of a list in creation order.
function itemKey(list, id) {
  return `todo:${list}:${String(id).padStart(10, '0')}`;
}

function listItems(bucket, list) {
  const prefix = `todo:${list}:`;
  const items = [];
  let cursor;
  do {
    const page = bucket.listKeys(cursor);
    for (const key of page.keys) {
      if (!key.startsWith(prefix)) continue;
      const value = bucket.get(key);
      if (value !== null && value !== undefined) items.push(JSON.parse(text(value)));
    }
    cursor = page.cursor ?? undefined;
  } while (cursor !== undefined);
  return items;
}

export function handle(request) {
  const path = request.url.replace(/^[a-z]+:\/\/[^/]*/, '').split('?')[0];
  const parts = path
    .split('/')
    .slice(1)
    .map((part) => decodeURIComponent(part));
  if (parts[0] !== 'todos' || !parts[1] || !/^[A-Za-z0-9_-]{1,64}$/.test(parts[1])) {
    return error(404, 'use /todos/{list} or /todos/{list}/{id}');
  }
  const list = parts[1];
  const bucket = open('default');
  if (parts.length === 2 || (parts.length === 3 && parts[2] === '')) {
    if (request.method === 'GET') return json(200, { list, items: listItems(bucket, list) });
    if (request.method === 'POST') {
      const body = readBody(request);
      if (body === undefined || typeof body.title !== 'string' || body.title.length === 0) {
        return error(400, 'send {"title": "..."}');
      }
      const id = Number(increment(bucket, `todo-next:${list}`, 1));
      const item = { id, title: body.title, done: false };
      bucket.set(itemKey(list, id), utf8(JSON.stringify(item)));
      return json(201, item);
    }
    return error(405, 'use GET or POST');
  }
  const id = Number(parts[2]);
  if (!Number.isSafeInteger(id) || id < 1 || parts.length > 3) return error(404, 'no such item');
  const key = itemKey(list, id);
  const stored = bucket.get(key);
  if (stored === null || stored === undefined) return error(404, 'no such item');
  const item = JSON.parse(text(stored));
  if (request.method === 'GET') return json(200, item);
  if (request.method === 'PUT') {
    const body = readBody(request);
    if (body === undefined) return error(400, 'send JSON');
    if (typeof body.title === 'string' && body.title.length > 0) item.title = body.title;
    if (typeof body.done === 'boolean') item.done = body.done;
    bucket.set(key, utf8(JSON.stringify(item)));
    return json(200, item);
  }
  if (request.method === 'DELETE') {
    bucket.delete(key);
    return { status: 204, headers: [], body: new Uint8Array(0) };
  }
  return error(405, 'use GET, PUT or DELETE');
}
