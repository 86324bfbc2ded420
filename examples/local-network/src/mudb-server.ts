import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ManagedProcess, sourceFlags, startProcess } from './processes.js';

const mudbServerMain = fileURLToPath(new URL('./mudb-server-main.ts', import.meta.url));

/** The MuDB server the local network's nodes share. */
export interface LocalMuDBServer {
  process: ManagedProcess;
  port: number;
  /** The nodes' shared secret (client id `node`). */
  secret: string;
}

/**
 * Starts the MuDB server (LevelDB in `<dataDir>/mudb`, a fresh 32-byte secret) on a free port of 127.0.0.1, as its
 * own process, logging to `<dataDir>/logs/mudb-server.log`.
 */
export async function startMuDBServer(dataDir: string): Promise<LocalMuDBServer> {
  const secret = randomBytes(32).toString('hex');
  const process = await startProcess({
    name: 'mudb-server',
    args: [...sourceFlags, mudbServerMain],
    env: { MUDB_DATA: join(dataDir, 'mudb'), MUDB_SECRET: secret, MUDB_CLIENT_ID: 'node' },
    logFile: join(dataDir, 'logs', 'mudb-server.log'),
  });
  return { process, port: (process.ready.listening as { port: number }).port, secret };
}
