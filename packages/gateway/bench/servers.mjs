/**
 * The processes of the HTTP benchmark, one per child: `origin` (the app node), `gateway` (this package, from
 * dist, in front of the origin) and `bare` (the baseline: a minimal undici proxy to the same origin).
 * Plain JavaScript run by plain node, so neither proxy pays for an on-the-fly TypeScript transform.
 * Each prints its URL on stdout and serves until killed; answers its CPU time (µs) to any IPC message.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { Pool } from 'undici';

const [mode, originUrl] = process.argv.slice(2);
const CONNECTIONS = 64;

async function loadGateway() {
  const dist = new URL('../dist/index.js', import.meta.url);
  if (!existsSync(dist)) throw new Error('Build the package first (npm run build -w @mu/gateway).');
  return import(dist.href);
}

let server;
if (mode === 'origin') {
  const body = Buffer.from('hello from the origin\n');
  server = createServer({ keepAliveTimeout: 10_000 }, (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length, 'mu-receipt': 'r1' });
    res.end(body);
  });
} else if (mode === 'gateway') {
  const { createGateway, createGatewayServer } = await loadGateway();
  const job = { status: 'active', maxBodyBytes: 1 << 20 };
  const gateway = createGateway({
    nodes: [{ id: 'origin', url: originUrl, connections: CONNECTIONS }],
    resolveJob: (jobId) => (jobId === '42' ? job : undefined),
  });
  server = createGatewayServer(gateway, { keepAliveTimeout: 10_000 });
} else if (mode === 'bare') {
  const pool = new Pool(originUrl, { connections: CONNECTIONS, keepAliveTimeout: 10_000 });
  server = createServer({ keepAliveTimeout: 10_000 }, (req, res) => {
    const headers = { ...req.headers };
    delete headers.host;
    delete headers.connection;
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    pool.request({ method: req.method, path: req.url, headers, body: hasBody ? req : null }).then(
      (answer) => {
        const out = answer.headers;
        delete out.connection;
        delete out['keep-alive'];
        delete out['transfer-encoding'];
        res.writeHead(answer.statusCode, out);
        answer.body.pipe(res);
      },
      () => res.writeHead(502).end(),
    );
  });
} else {
  throw new Error(`unknown mode ${mode}`);
}
process.once('SIGINT', () => process.exit(0));
process.on('message', () => {
  const { user, system } = process.cpuUsage();
  process.send?.(user + system);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${server.address().port}\n`);
});
