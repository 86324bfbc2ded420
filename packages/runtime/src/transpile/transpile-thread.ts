/**
 * The main thread's side of the transpile thread (transpile-worker.ts): one per process, started on demand and
 * stopped when idle.
 */
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../worker-entry.js';
import type { TranspileResult } from './transpile-messages.js';

/** A successful transpilation: the files, imports and export names. */
export type TranspileOutput = Extract<TranspileResult, { ok: true }>;

/** The transpile thread, started on demand and stopped after this long without work (ms). */
const TRANSPILER_IDLE_MS = 60_000;

interface Transpiler {
  worker: Worker;
  pending: Map<number, { resolve(output: TranspileOutput): void; reject(error: Error): void }>;
  idle: NodeJS.Timeout | undefined;
}

let transpiler: Transpiler | undefined;
let nextJob = 1;

/**
 * Transpiles (and patches the glue) in the process's transpile thread: jco's transpiler is synchronous CPU work
 * that would otherwise stop the main thread (requests, MuDB, health checks) for the whole transpilation.
 */
export function transpileOffThread(bytes: Uint8Array): Promise<TranspileOutput> {
  const thread = transpiler ?? startTranspiler();
  clearTimeout(thread.idle);
  thread.idle = undefined;
  const id = nextJob++;
  return new Promise((resolve, reject) => {
    thread.pending.set(id, { resolve, reject });
    thread.worker.ref(); // a transpilation in progress keeps the process alive; an idle thread does not
    thread.worker.postMessage({ id, bytes });
  });
}

function startTranspiler(): Transpiler {
  const entry = workerEntry('transpile-worker');
  const thread: Transpiler = {
    worker: new Worker(entry.url, { eval: entry.eval }),
    pending: new Map(),
    idle: undefined,
  };
  const fail = (error: Error) => {
    if (transpiler === thread) transpiler = undefined;
    clearTimeout(thread.idle);
    for (const job of thread.pending.values()) job.reject(error);
    thread.pending.clear();
  };
  thread.worker.on('message', (result: TranspileResult) => {
    const job = thread.pending.get(result.id);
    if (job === undefined) return;
    thread.pending.delete(result.id);
    if (result.ok) job.resolve(result);
    else job.reject(new Error(result.message));
    if (thread.pending.size > 0) return;
    thread.worker.unref();
    thread.idle = setTimeout(() => {
      if (transpiler !== thread || thread.pending.size > 0) return;
      transpiler = undefined;
      void thread.worker.terminate();
    }, TRANSPILER_IDLE_MS).unref();
  });
  thread.worker.on('error', fail);
  thread.worker.on('exit', (code) => fail(new Error(`the transpile thread exited with code ${code}`)));
  transpiler = thread;
  return thread;
}
