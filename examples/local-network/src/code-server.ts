import { createServer } from 'node:http';
import type { AppName, BuiltApp } from '@mu/example-apps';

/** Where the nodes fetch the apps' components: `{url}/code/{sha256}.wasm`. */
export interface CodeServer {
  url: string;
  close(): Promise<void>;
}

/** Serves each app's component at `/code/{sha256}.wasm` on a free port of 127.0.0.1 (404 for anything else). */
export async function startCodeServer(apps: Record<AppName, BuiltApp>): Promise<CodeServer> {
  const byPath = new Map(Object.values(apps).map((app) => [`/code/${app.sha256}.wasm`, app]));
  const server = createServer((req, res) => {
    const app = byPath.get(req.url ?? '');
    if (!app) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/wasm', 'content-length': app.size }).end(app.bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
