import { createServer } from 'node:http';
import { importSnippet, readmeSnippet } from '@mu/test-kit';
import { request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createBoundedLoadStrategy,
  createGateway,
  createRoundRobinStrategy,
  type Gateway,
  type LocalNodeSpec,
} from '../src/index.js';
import { closeServer, listen } from './helpers.js';

const gateways: Gateway[] = [];
afterEach(async () => {
  for (const gateway of gateways.splice(0)) await gateway.close();
});

function track(gateway: Gateway): Gateway {
  gateways.push(gateway);
  return gateway;
}

/** An in-process node that records what it saw. */
function localNode(id: string, behaviour: (request: Request) => Response | Promise<Response> = echo(id)) {
  const seen: string[] = [];
  const spec: LocalNodeSpec = {
    id,
    handler: async (request) => {
      seen.push(`${request.method} ${new URL(request.url).pathname}`);
      return behaviour(request);
    },
  };
  return { spec, seen };
}

function echo(id: string) {
  return async (request: Request) =>
    Response.json(
      { node: id, url: request.url, job: request.headers.get('mu-job-id'), body: await request.text() },
      { headers: { 'mu-receipt': `receipt-${id}`, 'set-cookie': 'a=1' } },
    );
}

describe('web-standard fetch with in-process nodes', () => {
  it('routes to an in-process handler with the prefix stripped and streams the answer back', async () => {
    const node = localNode('here');
    const gateway = track(createGateway({ nodes: [node.spec], resolveJob: () => ({ status: 'active' }) }));
    const response = await gateway.fetch(
      new Request('http://gw.test/job-9/a/b?c=d', { method: 'POST', body: 'payload' }),
      { remoteAddress: '198.51.100.4' },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('mu-receipt')).toBe('receipt-here');
    expect(response.headers.getSetCookie()).toEqual(['a=1']);
    expect(await response.json()).toEqual({
      node: 'here',
      url: 'http://gw.test/a/b?c=d',
      job: 'job-9',
      body: 'payload',
    });
    expect(gateway.usage().get('job-9')).toMatchObject({ requests: 1, bytesIn: 7 });
    expect(gateway.nodes()[0]).toMatchObject({ id: 'here', inFlight: 0, available: true });
  });

  it('gives an in-process handler a URL built from a plain Host only', async () => {
    const node = localNode('here');
    const gateway = track(createGateway({ nodes: [node.spec], resolveJob: () => ({ status: 'active' }) }));
    const urls = [];
    for (const host of ['app.example:8080', 'evil.example/steal?', '[::1]:80']) {
      const response = await gateway.fetch(new Request('http://gw.test/j/p?q', { headers: { host } }));
      urls.push(((await response.json()) as { url: string }).url);
    }
    expect(urls).toEqual(['http://app.example:8080/p?q', 'http://localhost/p?q', 'http://[::1]/p?q']);
  });

  it('retries a GET on another node when a handler throws, but answers a POST with 502', async () => {
    const broken = localNode('broken', () => {
      throw new Error('boom');
    });
    const fine = localNode('fine');
    const gateway = track(
      createGateway({
        nodes: [broken.spec, fine.spec],
        resolveJob: () => ({ status: 'active' }),
        strategy: createRoundRobinStrategy(),
        health: { intervalMs: 0, ejectAfter: 100 },
      }),
    );
    const get = await gateway.fetch(new Request('http://gw.test/j/x'));
    expect(((await get.json()) as { node: string }).node).toBe('fine');
    const post = await gateway.fetch(new Request('http://gw.test/j/x', { method: 'POST', body: 'once' }));
    expect(post.status).toBe(502);
    expect(broken.seen).toEqual(['GET /x', 'POST /x']);
    expect(fine.seen).toEqual(['GET /x']);
  });

  it('answers 504 when an in-process handler takes longer than the timeout, and aborts its request', async () => {
    let aborted = false;
    const slow = localNode(
      'slow',
      (request) =>
        new Promise((resolve) => {
          request.signal.addEventListener('abort', () => {
            aborted = true;
          });
          setTimeout(() => resolve(new Response('late')), 500);
        }),
    );
    const gateway = track(
      createGateway({ nodes: [slow.spec], resolveJob: () => ({ status: 'active' }), timeoutMs: 50 }),
    );
    const response = await gateway.fetch(new Request('http://gw.test/j/x'));
    expect(response.status).toBe(504);
    expect(aborted).toBe(true);
  });

  it('limits streamed request bodies to the job limit', async () => {
    const node = localNode('n');
    const gateway = track(
      createGateway({ nodes: [node.spec], resolveJob: () => ({ status: 'active', maxBodyBytes: 10 }) }),
    );
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('123456'));
        controller.enqueue(new TextEncoder().encode('789012'));
        controller.close();
      },
    });
    const response = await gateway.fetch(
      new Request('http://gw.test/j/x', { method: 'POST', body, duplex: 'half' } as RequestInit),
    );
    expect(response.status).toBe(413);
    expect(node.seen).toEqual([]);
  });

  it('reports only the nodes a job names, and 503 when they are all unknown', async () => {
    const one = localNode('one');
    const two = localNode('two');
    const gateway = track(
      createGateway({
        nodes: [one.spec, two.spec],
        resolveJob: (jobId) => ({ status: 'active', nodes: jobId === 'pinned' ? ['two'] : ['missing'] }),
      }),
    );
    for (let index = 0; index < 5; index++) {
      const response = await gateway.fetch(new Request('http://gw.test/pinned/x'));
      expect(((await response.json()) as { node: string }).node).toBe('two');
    }
    expect((await gateway.fetch(new Request('http://gw.test/other/x'))).status).toBe(503);
  });

  it('adds and removes nodes at run time', async () => {
    const first = localNode('first');
    const gateway = track(createGateway({ nodes: [first.spec], resolveJob: () => ({ status: 'active' }) }));
    gateway.addNode(localNode('second').spec);
    expect(gateway.nodes().map((node) => node.id)).toEqual(['first', 'second']);
    expect(() => gateway.addNode(localNode('second').spec)).toThrow(TypeError);
    expect(await gateway.removeNode('first')).toBe(true);
    expect(await gateway.removeNode('first')).toBe(false);
    const response = await gateway.fetch(new Request('http://gw.test/j/x'));
    expect(((await response.json()) as { node: string }).node).toBe('second');
  });

  it('keeps in-flight counts exact, including bodies the client cancels', async () => {
    const node = localNode('n', () => new Response('x'.repeat(100_000)));
    const gateway = track(
      createGateway({
        nodes: [node.spec],
        resolveJob: () => ({ status: 'active' }),
        strategy: createBoundedLoadStrategy(),
      }),
    );
    const read = await gateway.fetch(new Request('http://gw.test/j/x'));
    const cancelled = await gateway.fetch(new Request('http://gw.test/j/x'));
    expect(gateway.nodes()[0]!.inFlight).toBe(2);
    await read.text();
    await cancelled.body!.cancel();
    expect(gateway.nodes()[0]!.inFlight).toBe(0);
  });
});

describe('middleware', () => {
  it('serves job paths and passes everything else to next', async () => {
    const node = localNode('n');
    const gateway = track(createGateway({ nodes: [node.spec], resolveJob: () => ({ status: 'active' }) }));
    const server = createServer((req, res) =>
      gateway.middleware(req, res, () => {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('host app');
      }),
    );
    const url = await listen(server);
    try {
      const routed = await request(`${url}/job-1/hello`);
      expect(((await routed.body.json()) as { node: string }).node).toBe('n');
      const passed = await request(`${url}/`);
      expect(await passed.body.text()).toBe('host app');
    } finally {
      await closeServer(server);
    }
  });
});

describe('arguments', () => {
  it('rejects bad options with TypeError or RangeError before starting anything', () => {
    const resolveJob = () => undefined;
    expect(() => createGateway({ nodes: [], resolveJob: 'no' as never })).toThrow(TypeError);
    expect(() => createGateway({ nodes: 'x' as never, resolveJob })).toThrow(TypeError);
    expect(() => createGateway({ nodes: [{ id: 'a', url: 'not a url' }], resolveJob })).toThrow(TypeError);
    expect(() => createGateway({ nodes: [{ id: 'a', url: 'ftp://x' }], resolveJob })).toThrow(TypeError);
    expect(() => createGateway({ nodes: [{ id: '', handler: () => new Response() }], resolveJob })).toThrow(TypeError);
    expect(() => createGateway({ nodes: [], resolveJob, timeoutMs: 0 })).toThrow(RangeError);
    expect(() => createGateway({ nodes: [], resolveJob, health: { ejectAfter: -1 } })).toThrow(RangeError);
    expect(() => createGateway({ nodes: [], resolveJob, domain: '' })).toThrow(TypeError);
  });
});

describe('README', () => {
  it('runs the first ts snippet of the README', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await importSnippet(new URL('..', import.meta.url), readmeSnippet(new URL('../README.md', import.meta.url)));
      expect(log.mock.calls).toEqual([[200, 'hello from job 42: /hi']]);
    } finally {
      log.mockRestore();
    }
  });
});
