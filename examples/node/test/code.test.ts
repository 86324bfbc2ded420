import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutorError, fetchCode } from '../src/index.js';

const bytes = new Uint8Array(100_000).map((_, index) => index % 251);
const sha256 = createHash('sha256').update(bytes).digest('hex');
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/app.wasm') res.writeHead(200, { 'content-length': bytes.length }).end(bytes);
    else if (req.url === '/chunked.wasm') {
      // no Content-Length: the node must stop reading at the spec's size by itself
      res.writeHead(200);
      res.write(bytes);
      res.end(bytes);
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function codeOf(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
  } catch (error) {
    if (error instanceof ExecutorError) return error.code;
    throw error;
  }
  return undefined;
}

describe('fetchCode', () => {
  it('answers the bytes when the size and sha256 match the spec', async () => {
    const fetched = await fetchCode({ url: `${base}/app.wasm`, sha256, size: bytes.length });
    expect(Buffer.from(fetched).equals(Buffer.from(bytes))).toBe(true);
  });

  it('refuses code whose sha256 or size differ from the spec', async () => {
    const wrongHash = sha256.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    expect(await codeOf(() => fetchCode({ url: `${base}/app.wasm`, sha256: wrongHash, size: bytes.length }))).toBe(
      'NODE_CODE_MISMATCH',
    );
    expect(await codeOf(() => fetchCode({ url: `${base}/app.wasm`, sha256, size: bytes.length - 1 }))).toBe(
      'NODE_CODE_MISMATCH',
    );
    expect(await codeOf(() => fetchCode({ url: `${base}/app.wasm`, sha256, size: bytes.length + 1 }))).toBe(
      'NODE_CODE_MISMATCH',
    );
    expect(await codeOf(() => fetchCode({ url: `${base}/chunked.wasm`, sha256, size: bytes.length }))).toBe(
      'NODE_CODE_MISMATCH',
    );
  });

  it('reports a URL it cannot read', async () => {
    expect(await codeOf(() => fetchCode({ url: `${base}/missing.wasm`, sha256, size: 1 }))).toBe(
      'NODE_CODE_FETCH_FAILED',
    );
    expect(await codeOf(() => fetchCode({ url: 'ipfs://bafy', sha256, size: 1 }))).toBe('NODE_CODE_FETCH_FAILED');
    expect(await codeOf(() => fetchCode({ url: 'http://127.0.0.1:1/app.wasm', sha256, size: 1 }))).toBe(
      'NODE_CODE_FETCH_FAILED',
    );
  });
});
