/**
 * The WASI 0.2 the node gives every guest: enough for QuickJS and wasi-libc to run, nothing that reaches the
 * host. No preopened directory (no filesystem), no sockets, stdin empty, stdout/stderr into the job's log,
 * the job spec's env as the environment. All synchronous (Node 20 has no JSPI).
 */
import { getRandomValues } from 'node:crypto';
import { MuRuntimeError } from '../errors.js';
import type { LogLevel } from '../threads/messages.js';

/** Where a guest's output goes. */
export interface WasiSink {
  write(level: LogLevel, text: string): void;
}

/** A guest called `wasi:cli/exit`: ends the request like a trap (its message is the request's error message). */
export class GuestExitError extends MuRuntimeError {
  override name = 'GuestExitError';
  constructor(message: string) {
    super('RUNTIME_TRAP', message);
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const decoder = new TextDecoder();

function sleepMs(ms: number): void {
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
}

/** A `wasi:io/poll` pollable: ready at `readyAt` (performance.now() ms); every stream is always ready. */
export class Pollable {
  constructor(readonly readyAt = 0) {}
  ready(): boolean {
    return performance.now() >= this.readyAt;
  }
  block(): void {
    sleepMs(this.readyAt - performance.now());
  }
}

class IoError {
  constructor(readonly message: string) {}
  toDebugString(): string {
    return this.message;
  }
}

/** A `wasi:io/streams` input stream over bytes that are all there (stdin: none; a request body: all of it). */
export class InputStream {
  #bytes: Uint8Array;
  #offset = 0;
  constructor(bytes: Uint8Array = new Uint8Array(0)) {
    this.#bytes = bytes;
  }
  read(length: bigint): Uint8Array {
    if (this.#offset >= this.#bytes.length) throw { tag: 'closed' };
    const end = Math.min(this.#bytes.length, this.#offset + Number(length));
    const chunk = this.#bytes.slice(this.#offset, end);
    this.#offset = end;
    return chunk;
  }
  blockingRead(length: bigint): Uint8Array {
    return this.read(length);
  }
  skip(length: bigint): bigint {
    return BigInt(this.read(length).length);
  }
  blockingSkip(length: bigint): bigint {
    return this.skip(length);
  }
  subscribe(): Pollable {
    return new Pollable();
  }
}

/** Where an output stream's bytes go. */
export interface ByteSink {
  write(bytes: Uint8Array): void;
  flush(): void;
}

/** A `wasi:io/streams` output stream into a sink, always ready to take 1 MiB. */
export class OutputStream {
  constructor(readonly sink: ByteSink) {}
  checkWrite(): bigint {
    return 1n << 20n;
  }
  write(contents: Uint8Array): void {
    this.sink.write(contents);
  }
  blockingWriteAndFlush(contents: Uint8Array): void {
    this.sink.write(contents);
    this.sink.flush();
  }
  flush(): void {
    this.sink.flush();
  }
  blockingFlush(): void {
    this.sink.flush();
  }
  writeZeroes(length: bigint): void {
    this.sink.write(new Uint8Array(Number(length)));
  }
  blockingWriteZeroesAndFlush(length: bigint): void {
    this.writeZeroes(length);
    this.sink.flush();
  }
  splice(): bigint {
    throw { tag: 'closed' };
  }
  blockingSplice(): bigint {
    throw { tag: 'closed' };
  }
  subscribe(): Pollable {
    return new Pollable();
  }
}

/** Caps what one guest may print per request, so a chatty guest cannot fill the host's memory. */
const MAX_OUTPUT_BYTES = 64 * 1024;

/** stdout/stderr: text split into log lines. */
class LogLines implements ByteSink {
  #pending = '';
  #written = 0;
  constructor(
    readonly level: LogLevel,
    readonly sink: WasiSink,
  ) {}
  write(contents: Uint8Array): void {
    this.#written += contents.length;
    if (this.#written > MAX_OUTPUT_BYTES) return;
    this.#pending += decoder.decode(contents, { stream: true });
    let newline = this.#pending.indexOf('\n');
    while (newline >= 0) {
      const line = this.#pending.slice(0, newline);
      if (line.length > 0) this.sink.write(this.level, line);
      this.#pending = this.#pending.slice(newline + 1);
      newline = this.#pending.indexOf('\n');
    }
  }
  flush(): void {
    if (this.#pending.length > 0) this.sink.write(this.level, this.#pending);
    this.#pending = '';
  }
  /** Starts a new request: output counts per request. */
  reset(): void {
    this.flush();
    this.#written = 0;
  }
}

/** A filesystem descriptor type exists in the world, but no value of it can ever be obtained: no preopens. */
class Descriptor {}
class TerminalInput {}
class TerminalOutput {}

function randomBytes(length: bigint | number): Uint8Array {
  const bytes = new Uint8Array(Number(length));
  for (let offset = 0; offset < bytes.length; offset += 65_536) {
    getRandomValues(bytes.subarray(offset, Math.min(bytes.length, offset + 65_536)));
  }
  return bytes;
}

function randomU64(): bigint {
  const words = new BigUint64Array(1);
  getRandomValues(words);
  return words[0]!;
}

/** The WASI import objects, keyed by unversioned interface name, plus a per-request reset of output caps. */
export interface WasiHost {
  imports: Record<string, Record<string, unknown>>;
  startRequest(): void;
  flush(): void;
}

/** Builds the WASI imports for one app (its env, its log sink). */
export function createWasiHost(env: readonly [string, string][], sink: WasiSink): WasiHost {
  const stdin = new InputStream();
  const stdoutLines = new LogLines('info', sink);
  const stderrLines = new LogLines('error', sink);
  const stdout = new OutputStream(stdoutLines);
  const stderr = new OutputStream(stderrLines);
  const environment = env.map(([key, value]) => [key, value] as [string, string]);
  return {
    startRequest() {
      stdoutLines.reset();
      stderrLines.reset();
    },
    flush() {
      stdoutLines.flush();
      stderrLines.flush();
    },
    imports: {
      'wasi:cli/environment': {
        getEnvironment: () => environment,
        getArguments: () => [],
        initialCwd: () => undefined,
      },
      'wasi:cli/exit': {
        exit: (status: { tag: string }) => {
          throw new GuestExitError(`the guest called exit (${status.tag})`);
        },
      },
      'wasi:cli/stdin': { getStdin: () => stdin },
      'wasi:cli/stdout': { getStdout: () => stdout },
      'wasi:cli/stderr': { getStderr: () => stderr },
      'wasi:cli/terminal-input': { TerminalInput },
      'wasi:cli/terminal-output': { TerminalOutput },
      'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
      'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
      'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
      'wasi:clocks/monotonic-clock': {
        now: () => process.hrtime.bigint(),
        resolution: () => 1_000n,
        subscribeDuration: (nanoseconds: bigint) => new Pollable(performance.now() + Number(nanoseconds) / 1e6),
        subscribeInstant: (instant: bigint) =>
          new Pollable(performance.now() + Number(instant - process.hrtime.bigint()) / 1e6),
      },
      'wasi:clocks/wall-clock': {
        now: () => {
          const ms = Date.now();
          return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 };
        },
        resolution: () => ({ seconds: 0n, nanoseconds: 1_000_000 }),
      },
      'wasi:filesystem/preopens': { getDirectories: () => [] },
      'wasi:filesystem/types': { Descriptor, filesystemErrorCode: () => undefined },
      'wasi:io/error': { Error: IoError },
      'wasi:io/poll': {
        Pollable,
        poll: (list: Pollable[]) => {
          if (list.length === 0) return new Uint32Array(0);
          let ready = list.flatMap((pollable, index) => (pollable.ready() ? [index] : []));
          if (ready.length === 0) {
            sleepMs(Math.min(...list.map((pollable) => pollable.readyAt)) - performance.now());
            ready = list.flatMap((pollable, index) => (pollable.ready() ? [index] : []));
          }
          return new Uint32Array(ready);
        },
      },
      'wasi:io/streams': { InputStream, OutputStream },
      'wasi:random/random': { getRandomBytes: randomBytes, getRandomU64: randomU64 },
      'wasi:random/insecure': { getInsecureRandomBytes: randomBytes, getInsecureRandomU64: randomU64 },
      'wasi:random/insecure-seed': { insecureSeed: () => [randomU64(), randomU64()] },
    },
  };
}
