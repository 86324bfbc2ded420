/**
 * The worker's host code (WASI, wasi:keyvalue, wasi:http) served in the calling thread, for tests and probes that
 * run a transpiled guest without a worker. Nothing answers its host calls: a guest KV call or outbound request
 * fails (`the host did not answer`), so use it with apps that make none.
 */
import { MessageChannel } from 'node:worker_threads';
import { createHttpImports } from '../../src/guest/http-host.js';
import { createKeyValueImports, HostCallClient } from '../../src/guest/keyvalue-host.js';
import { createWasiHost } from '../../src/guest/wasi-host.js';
import { createSlots, Slot } from '../../src/threads/slot-codec.js';
import { createControl } from '../../src/threads/wake-channel.js';

/** Guest imports for the given world, served in this thread. */
export function inThreadImports(world: 'wasi-http' | 'mu'): Record<string, Record<string, unknown>> {
  const { port1 } = new MessageChannel();
  port1.unref();
  const slots = createSlots();
  const kv = new HostCallClient(
    port1,
    createControl(),
    { toWorker: new Slot(slots, 0), fromWorker: new Slot(slots, 1) },
    0,
  );
  return {
    ...createWasiHost([], { write() {} }).imports,
    ...createKeyValueImports(kv),
    ...(world === 'wasi-http'
      ? createHttpImports(kv, [])
      : { 'mu:app/log': { log() {} }, 'mu:app/config': { get: () => undefined, getAll: () => [] } }),
  };
}
