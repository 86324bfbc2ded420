// The local network's MuDB server process: what `mudb-server --data <dir> --port 0 --secret-env MUDB_SECRET
// --client-id node` (the bin of @mu/mudb) does, built on the `@mu/mudb/server` export so that it runs from the
// packages' sources with no build step. A provider runs the `mudb-server` bin itself.
//
// Environment: MUDB_DATA (the LevelDB folder), MUDB_SECRET (the nodes' shared secret), MUDB_CLIENT_ID (their id).
// Prints `{"listening":{"port":…,"host":…}}` on stdout when it serves; logs are JSON lines on stderr. SIGTERM or
// SIGINT: closes the store and exits 0.
import { LevelBackend } from '@mu/mudb';
import { createMuDBServer } from '@mu/mudb/server';
import { ClassicLevel } from 'classic-level';

const { MUDB_DATA: data, MUDB_SECRET: secret, MUDB_CLIENT_ID: clientId = 'node' } = process.env;
if (!data || !secret) {
  process.stderr.write('mudb-server: MUDB_DATA and MUDB_SECRET are required\n');
  process.exit(2);
}

const server = createMuDBServer({
  backend: new LevelBackend(new ClassicLevel(data)),
  clients: [{ id: clientId, secret, namespaces: ['*'] }],
  onLog: (event) => process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`),
});
const address = await server.listen({ port: 0, host: '127.0.0.1' }).catch((error: unknown) => {
  process.stderr.write(`mudb-server: cannot start: ${String(error)}\n`);
  process.exit(1);
});
process.stdout.write(`${JSON.stringify({ listening: address })}\n`);

// the first SIGINT or SIGTERM closes the store (exit 0 when it closed cleanly); later ones are ignored
let closed = false;
const stop = () => {
  if (closed) return;
  closed = true;
  server.close().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`mudb-server: ${String(error)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop).on('SIGTERM', stop);
