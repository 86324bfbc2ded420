import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { relative } from 'node:path';
import { Readable } from 'node:stream';
import { createGateway, type Gateway } from '@mu/gateway';
import { LevelBackend, type MuDB, openMuDB } from '@mu/mudb';
import {
  type AppOptions,
  createRuntime,
  createRuntimeHandler,
  DEFAULT_APP_LIMITS,
  type JobUsage,
  type Runtime,
} from '@mu/runtime';
import { type BuildResult, buildApp } from './build-app.js';
import { CliError, printedMessage } from './errors.js';

/** Options of {@link startDevServer}. */
export interface DevServerOptions {
  /** The project folder (watched for changes). */
  projectDir: string;
  entry: string;
  out: string;
  /** The world to build (default `mu`). */
  world?: 'mu' | 'wasi-http';
  /** The job id the app runs as (the app name). */
  jobId: string;
  env?: Record<string, string>;
  limits?: AppOptions['limits'];
  kv?: { quotaBytes: number };
  /** Serve a prebuilt component instead of building (no rebuild on change). */
  component?: Uint8Array;
  /** 127.0.0.1 unless told. */
  host?: string;
  /** 0 for a free port. */
  port: number;
  /** A LevelDB folder (classic-level) for MuDB; in memory when absent. */
  dataDir?: string;
  /** Rebuild when a file of the project changes (default true). */
  watch?: boolean;
  /** One line per request, build and error. */
  log: (line: string) => void;
}

/** A running `mu dev`. */
export interface DevServer {
  url: string;
  /** Builds done so far (1 after start). */
  readonly builds: number;
  /** Rebuilds now and swaps the code in (what a file change does). */
  rebuild(): Promise<BuildResult | undefined>;
  close(): Promise<void>;
}

function formatUsage(usage: JobUsage | undefined): string {
  if (!usage) return '';
  const parts = [`cpu ${usage.cpuMs.toFixed(2)} ms`, `mem ${(usage.memoryHighWaterBytes / 1048576).toFixed(1)} MiB`];
  if (usage.kvReads || usage.kvWrites) parts.push(`kv ${usage.kvReads}r/${usage.kvWrites}w`);
  parts.push(`out ${usage.bytesOut} B`);
  if (usage.coldStarts) parts.push('cold');
  return parts.join(' ');
}

/**
 * Serves an app on 127.0.0.1 through the same parts a node uses: `@mu/gateway` in front, `@mu/runtime` behind it,
 * MuDB in memory (or LevelDB with `dataDir`). The app's root is the server's root (`/` → the app sees `/`). A file
 * change under the project folder (outside `dist/`, `.mu/`, `node_modules/`) rebuilds and swaps the code in;
 * requests already running finish on the old version. A failed build is logged and the last good one keeps serving.
 *
 * @throws {CliError} `CLI_BUILD_*` when the first build fails; `CLI_DEV_FAILED` when the port is taken.
 * @example
 * ```ts
 * const dev = await startDevServer({ projectDir: '.', entry: 'src/app.js', out: 'dist/app.wasm', jobId: 'hello', port: 0, log: console.log });
 * console.log(await (await fetch(dev.url)).text());
 * await dev.close();
 * ```
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const log = options.log;
  let builds = 0;
  const build = async (): Promise<Uint8Array> => {
    const result = await buildApp({
      projectDir: options.projectDir,
      entry: options.entry,
      out: options.out,
      world: options.world ?? 'mu',
    });
    builds++;
    log(
      `mu dev: built ${relative(options.projectDir, options.entry)} in ${(result.ms / 1000).toFixed(2)} s (${result.size} bytes, sha256 ${result.sha256.slice(0, 12)}…)`,
    );
    return result.bytes;
  };
  const first = options.component ?? (await build());
  const mudb: MuDB = options.dataDir
    ? await openMuDB({
        backend: new LevelBackend(
          new (await import('classic-level')).ClassicLevel<string, Uint8Array>(options.dataDir),
        ),
      })
    : await openMuDB();
  const runtime: Runtime = await createRuntime({
    workers: 1,
    mudb,
    onLog: (entry) => log(`  [app ${entry.level}] ${entry.message}`),
  });
  const appOptions = (component: Uint8Array): AppOptions => ({
    component,
    ...(options.env ? { env: options.env } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.kv ? { kv: options.kv } : {}),
  });
  const jobId = options.jobId;
  await runtime.register(jobId, appOptions(first));
  const node = createRuntimeHandler(runtime, {
    // The gateway strips `/{jobId}` and names the job in a header, as it does for a node.
    route: (request) => ({ jobId: request.headers.get('mu-job-id') ?? jobId, request }),
  });
  const gateway: Gateway = createGateway({
    nodes: [{ id: 'dev', handler: node }],
    resolveJob: (id) =>
      id === jobId
        ? { status: 'active', maxBodyBytes: options.limits?.maxBodyBytes ?? DEFAULT_APP_LIMITS.maxBodyBytes }
        : { status: 'unknown' },
    health: { intervalMs: 0 },
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const url = `http://${req.headers.host ?? '127.0.0.1'}/${encodeURIComponent(jobId)}${req.url ?? '/'}`;
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const request = new Request(url, {
      method: req.method ?? 'GET',
      headers,
      ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
    } as RequestInit);
    let status = 500;
    try {
      const response = await gateway.fetch(request, { remoteAddress: req.socket.remoteAddress ?? '127.0.0.1' });
      status = response.status;
      const outHeaders: Record<string, string | string[]> = {};
      response.headers.forEach((value, name) => {
        if (name !== 'set-cookie') outHeaders[name] = value;
      });
      const cookies = response.headers.getSetCookie();
      if (cookies.length > 0) outHeaders['set-cookie'] = cookies;
      res.writeHead(status, outHeaders);
      if (response.body) {
        const reader = response.body.getReader();
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) res.write(chunk.value);
      }
      res.end();
    } catch (error) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`mu dev: ${(error as Error).message}\n`);
    }
    const usage = runtime.takeUsage().get(jobId);
    const code = res.getHeader('mu-error');
    log(
      `${req.method} ${req.url} ${status}${code ? ` ${code}` : ''} ${(performance.now() - started).toFixed(1)} ms ${formatUsage(usage)}`.trimEnd(),
    );
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error) => log(`mu dev: ${(error as Error).message}`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new CliError(
          'CLI_DEV_FAILED',
          `Cannot listen on ${options.host ?? '127.0.0.1'}:${options.port}: ${(error as Error).message}. Pick another --port (0 for any free port).`,
          { cause: error },
        ),
      ),
    );
    server.listen(options.port, options.host ?? '127.0.0.1', resolve);
  }).catch(async (error) => {
    await gateway.close();
    await runtime.close();
    await mudb.close();
    throw error;
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.address}:${address.port}/`;

  // Rebuilds are serialized; a change during a build schedules one more.
  let building: Promise<BuildResult | undefined> | undefined;
  let again = false;
  const rebuild = async (): Promise<BuildResult | undefined> => {
    if (building) {
      again = true;
      return building;
    }
    building = (async () => {
      try {
        do {
          again = false;
          try {
            const bytes = await build();
            await runtime.update(jobId, appOptions(bytes));
          } catch (error) {
            const detail =
              error instanceof CliError ? `${error.code}: ${printedMessage(error)}` : (error as Error).message;
            log(`mu dev: build failed, still serving the last good build. ${detail}`);
          }
        } while (again);
        return undefined;
      } finally {
        building = undefined;
      }
    })();
    return building;
  };

  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  if (options.watch !== false && !options.component) {
    const ignored = /^(dist|\.mu|node_modules|\.git)([\\/]|$)|\.tmp$|\.wasm$/;
    watcher = watch(options.projectDir, { recursive: true }, (_event, file) => {
      if (file && ignored.test(String(file))) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        log(`mu dev: ${file ?? 'a file'} changed, rebuilding…`);
        void rebuild();
      }, 100);
    });
  }

  return {
    url,
    get builds() {
      return builds;
    },
    rebuild,
    async close() {
      watcher?.close();
      clearTimeout(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await gateway.close();
      await runtime.close();
      await mudb.close();
    },
  };
}

/** Reads a file's bytes (a prebuilt component for `mu dev --component`). */
export async function readComponent(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new CliError('CLI_BUILD_OUTPUT_MISSING', `Cannot read the component ${path}: run \`mu build\` first.`, {
      cause: error,
    });
  }
}
