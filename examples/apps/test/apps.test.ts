import { createRuntime, type Runtime } from '@mu/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppName, type BuiltApp, buildApp, buildApps } from '../src/index.js';

let runtime: Runtime;
let apps: Record<AppName, BuiltApp>;

beforeAll(async () => {
  apps = await buildApps();
  runtime = await createRuntime({ workers: 1 });
  for (const app of Object.values(apps)) {
    await runtime.register(app.name, { component: app.bytes, sha256: app.sha256, env: { GREETING: 'hi' } });
  }
});
afterAll(async () => {
  await runtime?.close();
});

async function call(job: AppName, method: string, path: string, body?: unknown) {
  const init: RequestInit = { method };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await runtime.fetch(job, new Request(`http://app.local${path}`, init));
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) as unknown };
}

describe('example apps', () => {
  it('builds each app once and reuses the cached component (same bytes, sha256 of the bytes)', async () => {
    const again = await buildApp('hello');
    expect(again.sha256).toBe(apps.hello.sha256);
    expect(again.size).toBe(apps.hello.bytes.length);
    expect(apps.hello.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hello greets with the greeting of the spec env', async () => {
    expect(await call('hello', 'GET', '/mu')).toMatchObject({ status: 200, text: 'hi, mu!\n' });
    expect(await call('hello', 'GET', '/')).toMatchObject({ status: 200, text: 'hi, world!\n' });
  });

  it('hello keeps the CPU busy on ?work=ms, and the runtime meters it', async () => {
    runtime.takeUsage();
    expect(await call('hello', 'GET', '/busy?work=100')).toMatchObject({ status: 200, text: 'hi, busy!\n' });
    const usage = runtime.takeUsage().get('hello');
    expect(usage?.requests).toBe(1);
    expect(usage?.cpuMs).toBeGreaterThanOrEqual(90);
  });

  it('counter increments atomically and reads without changing the value', async () => {
    expect((await call('counter', 'GET', '/a')).json()).toEqual({ name: 'a', value: 0 });
    const posts = await Promise.all(Array.from({ length: 20 }, () => call('counter', 'POST', '/a')));
    const values = posts.map((post) => (post.json() as { value: number }).value).sort((x, y) => x - y);
    expect(values).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    expect((await call('counter', 'GET', '/a')).json()).toEqual({ name: 'a', value: 20 });
    expect((await call('counter', 'GET', '/b')).json()).toEqual({ name: 'b', value: 0 });
    expect((await call('counter', 'PATCH', '/a')).status).toBe(405);
  });

  it('todo creates, lists by prefix, updates and deletes items', async () => {
    expect(await call('todo', 'POST', '/todos/home', { title: 'milk' })).toMatchObject({ status: 201 });
    expect((await call('todo', 'POST', '/todos/home', { title: 'bread' })).json()).toEqual({
      id: 2,
      title: 'bread',
      done: false,
    });
    await call('todo', 'POST', '/todos/work', { title: 'report' });
    expect((await call('todo', 'GET', '/todos/home')).json()).toEqual({
      list: 'home',
      items: [
        { id: 1, title: 'milk', done: false },
        { id: 2, title: 'bread', done: false },
      ],
    });
    expect((await call('todo', 'PUT', '/todos/home/1', { done: true })).json()).toEqual({
      id: 1,
      title: 'milk',
      done: true,
    });
    expect((await call('todo', 'DELETE', '/todos/home/2')).status).toBe(204);
    expect((await call('todo', 'GET', '/todos/home/2')).status).toBe(404);
    expect((await call('todo', 'GET', '/todos/home')).json()).toEqual({
      list: 'home',
      items: [{ id: 1, title: 'milk', done: true }],
    });
    expect((await call('todo', 'GET', '/todos/work')).json()).toMatchObject({ items: [{ title: 'report' }] });
    expect((await call('todo', 'POST', '/todos/home', { nope: 1 })).status).toBe(400);
    expect((await call('todo', 'GET', '/elsewhere')).status).toBe(404);
  });
});
