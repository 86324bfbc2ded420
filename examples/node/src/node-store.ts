import { mkdir } from 'node:fs/promises';
import { type MuDB, openMuDB } from '@mu/mudb';
import { RemoteBackend } from '@mu/mudb/server';
import type { MuDBLocation } from './config.js';

/**
 * Opens the node's MuDB where the config says: in memory, LevelDB in a folder, the provider's MuDB server, or
 * PostgreSQL (`@mu/mudb/postgres`, loaded only then).
 *
 * @example
 * ```ts
 * const db = await openNodeStore({ kind: 'server', host: '10.0.0.5', port: 7070, clientId: 'node', secret });
 * ```
 */
export async function openNodeStore(location: MuDBLocation): Promise<MuDB> {
  if (location.kind === 'memory') return openMuDB();
  if (location.kind === 'postgres') {
    const { createPostgresBackend } = await import('@mu/mudb/postgres');
    return openMuDB({ backend: createPostgresBackend({ connectionString: location.url, schema: location.schema }) });
  }
  if (location.kind === 'server') {
    return openMuDB({
      backend: new RemoteBackend({
        host: location.host,
        port: location.port,
        clientId: location.clientId,
        secret: location.secret,
      }),
    });
  }
  const { ClassicLevel } = await import('classic-level');
  await mkdir(location.path, { recursive: true });
  return openMuDB({ level: new ClassicLevel<string, Uint8Array>(location.path, { valueEncoding: 'view' }) });
}
