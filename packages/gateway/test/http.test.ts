import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createGateway,
  createGatewayServer,
  type Gateway,
  type GatewayOptions,
  type ResolvedJob,
} from '../src/index.js';
import { type Origin, startOrigin } from './fixtures/origin.js';
import { closeServer, listen } from './helpers.js';

const jobs: Record<string, ResolvedJob> = {
  live: { status: 'active', maxBodyBytes: 1000 },
  'only-a': { status: 'active', nodes: ['a'] },
  'only-b': { status: 'active', nodes: ['b'] },
  nowhere: { status: 'active', nodes: [] },
  broke: { status: 'exhausted' },
  gone: { status: 'cancelled' },
};

let a: Origin;
let b: Origin;
const opened: { gateway: Gateway; close: () => Promise<void> }[] = [];

beforeAll(async () => {
  [a, b] = await Promise.all([startOrigin('a'), startOrigin('b')]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});
afterEach(async () => {
  for (const { gateway, close } of opened.splice(0)) {
    await close();
    await gateway.close();
  }
  a.seen.length = 0;
  b.seen.length = 0;
});

/** A gateway over nodes a and b, served on 127.0.0.1. */
async function serve(overrides: Partial<GatewayOptions> = {}) {
  const gateway = createGateway({
    nodes: [
      { id: 'a', url: a.url },
      { id: 'b', url: b.url },
    ],
    resolveJob: (jobId) => {
      if (jobId === 'lookup-fails') throw new Error('chain RPC is down');
      return jobs[jobId];
    },
    domain: 'mu.test',
    timeoutMs: 300,
    health: { intervalMs: 0, ejectAfter: 100 },
    ...overrides,
  });
  const server = createGatewayServer(gateway);
  const url = await listen(server);
  opened.push({ gateway, close: () => closeServer(server) });
  return { gateway, url };
}

/** Sends raw bytes on a fresh connection and returns everything the server wrote before closing. */
function rawExchange(url: string, bytes: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1', () => socket.write(bytes));
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString();
    });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

async function json(response: { body: { json(): Promise<unknown> } }) {
  return (await response.body.json()) as Record<string, unknown>;
}

describe('forwarding over HTTP', () => {
  it('strips the job prefix, keeps the query, sets X-Forwarded-* and the job id header', async () => {
    const { url } = await serve();
    const response = await request(`${url}/live/items/7?color=red`, {
      headers: { 'x-forwarded-for': '203.0.113.9', 'mu-job-id': 'forged', 'x-app': 'kept' },
    });
    expect(response.statusCode).toBe(200);
    const echo = await json(response);
    const headers = echo.headers as Record<string, string>;
    expect(echo.path).toBe('/items/7?color=red');
    expect(headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-host']).toBe(new URL(url).host);
    expect(headers['x-forwarded-prefix']).toBe('/live');
    expect(headers['mu-job-id']).toBe('live');
    expect(headers['x-app']).toBe('kept');
  });

  it('answers /{jobId} alone with the node root', async () => {
    const { url } = await serve();
    expect((await json(await request(`${url}/live?x=1`))).path).toBe('/?x=1');
  });

  it('routes host-based endpoints {jobId}.{domain} without touching the path', async () => {
    const { url } = await serve();
    const response = await request(`${url}/items/7`, { headers: { host: 'only-b.mu.test:8080' } });
    const echo = await json(response);
    expect(echo.node).toBe('b');
    expect(echo.path).toBe('/items/7');
    expect((echo.headers as Record<string, string>)['mu-job-id']).toBe('only-b');
  });

  it('strips hop-by-hop headers both ways, including those named in Connection', async () => {
    const { url } = await serve();
    const raw = await rawExchange(
      url,
      'GET /live/x HTTP/1.1\r\nHost: x\r\nConnection: close, x-private\r\nX-Private: no\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nUpgrade: websocket\r\n\r\n',
    );
    const [head, body] = raw.split('\r\n\r\n') as [string, string];
    // The body is chunked: the JSON sits between the chunk size line and the last chunk.
    const headers = JSON.parse(body.slice(body.indexOf('{'), body.lastIndexOf('}') + 1)).headers as Record<
      string,
      string
    >;
    expect(Object.keys(headers).filter((name) => ['x-private', 'te', 'keep-alive', 'upgrade'].includes(name))).toEqual(
      [],
    );
    expect(head).not.toMatch(/x-hop/i);
    expect(head).not.toMatch(/keep-alive: timeout=5/i);
    expect(head).toMatch(/mu-receipt: receipt-/i);
  });

  it('fetch() forwards to HTTP nodes too, streaming and metering the answer', async () => {
    const { gateway } = await serve();
    const response = await gateway.fetch(new Request('http://gw.test/only-a/p?q=1', { method: 'PUT', body: 'abc' }), {
      remoteAddress: '192.0.2.1',
    });
    expect(response.headers.get('mu-receipt')).toBe('receipt-a');
    expect(response.headers.get('x-hop')).toBeNull();
    const text = await response.text();
    const echo = JSON.parse(text);
    expect(echo).toMatchObject({ node: 'a', method: 'PUT', path: '/p?q=1', bodyLength: 3 });
    expect(echo.headers['x-forwarded-for']).toBe('192.0.2.1');
    expect(gateway.usage().get('only-a')).toEqual({ requests: 1, bytesIn: 3, bytesOut: Buffer.byteLength(text) });
    expect(gateway.nodes().every((node) => node.inFlight === 0)).toBe(true);
  });

  it("passes the node's signed receipt header through to the client", async () => {
    const { url } = await serve();
    const response = await request(`${url}/only-a/x`);
    await response.body.dump();
    expect(response.headers['mu-receipt']).toBe('receipt-a');
  });

  it('forwards request bodies and meters requests, bytes in and bytes out per job', async () => {
    const { gateway, url } = await serve();
    const first = await request(`${url}/live/upload`, { method: 'POST', body: 'x'.repeat(300) });
    const firstBody = await first.body.text();
    const second = await request(`${url}/only-a/x`);
    const secondBody = await second.body.text();
    expect(JSON.parse(firstBody).bodyLength).toBe(300);
    const usage = gateway.takeUsage();
    expect(usage.get('live')).toEqual({ requests: 1, bytesIn: 300, bytesOut: Buffer.byteLength(firstBody) });
    expect(usage.get('only-a')).toEqual({ requests: 1, bytesIn: 0, bytesOut: Buffer.byteLength(secondBody) });
    expect(gateway.usage().size).toBe(0);
  });
});

describe('error answers', () => {
  async function expectError(response: Awaited<ReturnType<typeof request>>, status: number, code: string) {
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toBe('application/json');
    const body = await json(response);
    expect((body.error as { code: string }).code).toBe(code);
    expect(typeof (body.error as { message: string }).message).toBe('string');
  }

  it('404 for an unknown job, and for a URL that names no job', async () => {
    const { url } = await serve();
    await expectError(await request(`${url}/nosuchjob/x`), 404, 'GATEWAY_UNKNOWN_JOB');
    await expectError(await request(`${url}/favicon.ico`), 404, 'GATEWAY_UNKNOWN_JOB');
    expect(a.seen.length + b.seen.length).toBe(0);
  });

  it('402 with a JSON error when the job is exhausted, 410 when it is cancelled', async () => {
    const { url } = await serve();
    await expectError(await request(`${url}/broke/x`), 402, 'GATEWAY_JOB_EXHAUSTED');
    await expectError(await request(`${url}/gone/x`), 410, 'GATEWAY_JOB_CANCELLED');
  });

  it('503 with Retry-After when no node can serve the job or the lookup fails', async () => {
    const { url } = await serve({ retryAfterSeconds: 7 });
    const none = await request(`${url}/nowhere/x`);
    expect(none.headers['retry-after']).toBe('7');
    await expectError(none, 503, 'GATEWAY_NO_NODE');
    const failed = await request(`${url}/lookup-fails/x`);
    expect(failed.headers['retry-after']).toBe('7');
    await expectError(failed, 503, 'GATEWAY_RESOLVE_FAILED');
  });

  it('503 with Retry-After from the ejection back-off when every node is ejected', async () => {
    const { gateway, url } = await serve({ health: { intervalMs: 0, ejectAfter: 1, baseEjectionMs: 5000 } });
    await expectError(await request(`${url}/only-a/reset`), 502, 'GATEWAY_UPSTREAM_FAILED');
    expect(gateway.nodes().find((node) => node.id === 'a')?.available).toBe(false);
    const response = await request(`${url}/only-a/x`);
    expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(4);
    expect(Number(response.headers['retry-after'])).toBeLessThanOrEqual(5);
    await expectError(response, 503, 'GATEWAY_NO_NODE');
  });

  it('504 when the node does not answer in time', async () => {
    const { url } = await serve();
    await expectError(await request(`${url}/only-b/slow?ms=2000`), 504, 'GATEWAY_UPSTREAM_TIMEOUT');
  });

  it('413 when Content-Length exceeds the job limit, before the body is forwarded', async () => {
    const { url } = await serve();
    const response = await request(`${url}/live/x`, { method: 'POST', body: Buffer.alloc(1001) });
    await expectError(response, 413, 'GATEWAY_BODY_TOO_LARGE');
    expect(a.seen.length + b.seen.length).toBe(0);
  });

  it('413 when a chunked body grows past the job limit', async () => {
    const { url } = await serve();
    async function* chunks() {
      for (let index = 0; index < 20; index++) yield Buffer.alloc(100);
    }
    const response = await request(`${url}/live/x`, { method: 'POST', body: Readable.from(chunks()) });
    await expectError(response, 413, 'GATEWAY_BODY_TOO_LARGE');
    expect(a.seen.length + b.seen.length).toBe(0);
  });

  it('400 for conflicting Content-Length and Transfer-Encoding, never forwarded', async () => {
    const { url } = await serve();
    const raw = await rawExchange(
      url,
      'POST /live/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /live/smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    expect(raw.startsWith('HTTP/1.1 400')).toBe(true);
    expect(raw).toContain('GATEWAY_BAD_FRAMING');
    expect(a.seen.length + b.seen.length).toBe(0);
  });

  it('400 for conflicting framing headers given to fetch()', async () => {
    const { gateway } = await serve();
    const response = await gateway.fetch(
      new Request('http://gw.test/live/x', {
        method: 'POST',
        body: 'hello',
        headers: { 'content-length': '5, 6' },
      }),
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('GATEWAY_BAD_FRAMING');
  });
});

describe('retries', () => {
  it('never retries a non-idempotent request whose body was sent: 502', async () => {
    const { url } = await serve();
    const response = await request(`${url}/live/reset`, { method: 'POST', body: 'pay once' });
    expect(response.statusCode).toBe(502);
    await response.body.dump();
    expect(a.seen.length + b.seen.length).toBe(1);
  });

  it('retries an idempotent request once on another node', async () => {
    const { url } = await serve();
    const response = await request(`${url}/live/reset`, { method: 'PUT', body: 'same twice' });
    expect(response.statusCode).toBe(502);
    expect(((await json(response)).error as { message: string }).message).toContain('Two nodes');
    expect(a.seen.map((seen) => seen.path)).toEqual(['/reset']);
    expect(b.seen.map((seen) => seen.path)).toEqual(['/reset']);
  });

  it('retries a POST that carries an Idempotency-Key', async () => {
    const { url } = await serve();
    const response = await request(`${url}/live/reset`, {
      method: 'POST',
      body: 'x',
      headers: { 'idempotency-key': 'k1' },
    });
    await response.body.dump();
    expect(a.seen.length).toBe(1);
    expect(b.seen.length).toBe(1);
  });

  it('retries any method when the connection was refused (nothing was sent)', async () => {
    const dead = await startOrigin('dead');
    await dead.close();
    const { url } = await serve({
      nodes: [
        { id: 'a', url: dead.url },
        { id: 'b', url: b.url },
      ],
    });
    const answers = [];
    for (let job = 0; job < 10; job++) {
      jobs[`refused-${job}`] = { status: 'active' };
      const response = await request(`${url}/refused-${job}/x`, { method: 'POST', body: 'x' });
      answers.push(response.statusCode);
      await response.body.dump();
    }
    expect(answers).toEqual(Array(10).fill(200));
    expect(b.seen.length).toBe(10);
  });
});
