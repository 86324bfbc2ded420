/**
 * The transpile thread: jco's transpiler and the glue patches run here, so registering a component never blocks
 * the main thread (100-150 ms for a component on an idle machine, seconds on a loaded one), where requests,
 * MuDB and health checks run.
 */
import { parentPort } from 'node:worker_threads';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { patchGlue } from './glue-patch.js';
import { TRANSPILE_OPTIONS, type TranspileJob, type TranspileResult } from './transpile-messages.js';

const port = parentPort!;

port.on('message', async ({ id, bytes }: TranspileJob) => {
  let reply: TranspileResult;
  const transfer: ArrayBuffer[] = [];
  try {
    const result = await transpileBytes(bytes, TRANSPILE_OPTIONS);
    const files: [string, Uint8Array | string][] = [];
    for (const [name, content] of Object.entries(result.files)) {
      if (name === 'app.js') {
        files.push([name, patchGlue(Buffer.from(content).toString('utf8')).source]);
        continue;
      }
      const bytes = new Uint8Array(content);
      transfer.push(bytes.buffer);
      files.push([name, bytes]);
    }
    reply = { id, ok: true, files, imports: [...result.imports], exports: result.exports.map(([name]) => name) };
  } catch (error) {
    reply = { id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply, transfer);
});
