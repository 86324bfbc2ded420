import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createRuntime, createRuntimeHandler, type Runtime } from '../src/index.js';
import { buildFixture } from './helpers/fixtures.js';

let cacheDir: string;
let runtime: Runtime;

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'mu-runtime-handler-'));
  runtime = await createRuntime({ workers: 1, cacheDir });
  await runtime.register('job-7', { component: (await buildFixture('hello')).bytes });
});

afterAll(async () => {
  await runtime.close();
  await rm(cacheDir, { recursive: true, force: true });
});

test('routes /{jobId}/rest to the job, which sees /rest', async () => {
  const handle = createRuntimeHandler(runtime);
  const response = await handle(new Request('http://node.local/job-7/hello/world?x=1', { method: 'POST', body: 'ab' }));
  expect(await response.text()).toBe('hello POST /hello/world?x=1 2');
  expect(await (await handle(new Request('http://node.local/job-7'))).text()).toBe('hello GET / 0');
});

test('answers 404 with a code for an unknown job', async () => {
  const response = await createRuntimeHandler(runtime)(new Request('http://node.local/nobody/x'));
  expect(response.status).toBe(404);
  expect(response.headers.get('mu-error')).toBe('RUNTIME_JOB_NOT_FOUND');
});
