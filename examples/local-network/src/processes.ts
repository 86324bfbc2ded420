import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** The repository root (the children run there, so `--import tsx` resolves from its node_modules). */
export const repositoryRoot: string = fileURLToPath(new URL('../../../', import.meta.url));

/** Node flags that run this repository's TypeScript with the packages resolved to their sources. */
export const sourceFlags: string[] = ['--import', 'tsx', '--import', require.resolve('@mu/example-node/use-sources')];

/** A child process started by the network; stopped by its PID. */
export interface ManagedProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** The first JSON line the process printed on stdout (its address). */
  ready: Record<string, unknown>;
  logFile: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once (a crash). */
  kill(): Promise<void>;
}

/** Options of {@link startProcess}. */
export interface StartProcessOptions {
  name: string;
  args: string[];
  env?: Record<string, string>;
  /** stderr (and stdout after the ready line) go here. */
  logFile: string;
  /** Longest wait for the ready line (default 120 s). */
  timeoutMs?: number;
}

/**
 * Starts `node <args>` and waits for its first stdout line that parses as a JSON object (the ready line).
 *
 * @throws when the process exits or the time runs out first (the last lines of its log are in the message).
 */
export async function startProcess(options: StartProcessOptions): Promise<ManagedProcess> {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(process.execPath, options.args, {
    cwd: repositoryRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // its own process group: a terminal's Ctrl-C reaches only the launcher, which stops the children in order
    // (nodes first, so they can still settle their last usage on the chain)
    detached: true,
  });
  let tail = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    log.write(chunk);
    tail = (tail + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.name} did not start within ${options.timeoutMs ?? 120_000} ms:\n${tail}`));
    }, options.timeoutMs ?? 120_000);
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
        try {
          const value = JSON.parse(line) as unknown;
          if (typeof value === 'object' && value !== null) {
            clearTimeout(timer);
            child.stdout!.off('data', onData);
            child.stdout!.on('data', (more: Buffer) => log.write(more));
            resolve(value as Record<string, unknown>);
            return;
          }
        } catch {
          log.write(`${line}\n`);
        }
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited (${code ?? signal}) before it was ready:\n${tail}`));
    });
  });
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    name: options.name,
    pid: child.pid!,
    child,
    ready,
    logFile: options.logFile,
    async stop(graceMs = 15_000) {
      if (!gone()) {
        process.kill(child.pid!, 'SIGTERM');
        const timer = setTimeout(() => {
          if (!gone()) process.kill(child.pid!, 'SIGKILL');
        }, graceMs);
        await exited;
        clearTimeout(timer);
      }
      log.end();
    },
    async kill() {
      if (!gone()) process.kill(child.pid!, 'SIGKILL');
      await exited;
    },
  };
}

/**
 * A free TCP port on 127.0.0.1, for addresses that must be known before a process starts (a node's peers), and
 * not in `taken` (ports already chosen for the same start).
 *
 * The port is taken outside the kernel's ephemeral range: a port the kernel hands out itself (to a `listen(0)`
 * elsewhere, or as the local end of an outgoing connection) could be taken again between this check and the
 * child's own `listen`, and on a busy test machine it was (EADDRINUSE). Random ports below the range (from 16384)
 * or above it, whichever side is wider, are tried until one binds.
 */
export async function freePort(taken: ReadonlySet<number> = new Set()): Promise<number> {
  const [low, high] = await portsOutsideEphemeralRange();
  for (let attempt = 0; attempt < 64; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (!taken.has(port) && (await canListen(port))) return port;
  }
  throw new Error(`no free port on 127.0.0.1 between ${low} and ${high - 1} after 64 tries`);
}

/** [low, high): the wider side of the kernel's ephemeral range (Linux's `ip_local_port_range`; IANA's elsewhere). */
async function portsOutsideEphemeralRange(): Promise<[number, number]> {
  let first = 49_152;
  let last = 65_535;
  try {
    const { readFile } = await import('node:fs/promises');
    const range = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/).map(Number);
    if (range.length === 2 && range.every(Number.isInteger)) [first, last] = range as [number, number];
  } catch {
    // not Linux: macOS and Windows use IANA's dynamic range
  }
  const below: [number, number] = [16_384, Math.max(16_384, first)];
  const above: [number, number] = [Math.min(last + 1, 65_536), 65_536];
  const widest = below[1] - below[0] >= above[1] - above[0] ? below : above;
  // a machine whose ephemeral range spans nearly everything: any registered port, checked by binding
  return widest[1] - widest[0] >= 1_024 ? widest : [1_024, 65_536];
}

async function canListen(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
