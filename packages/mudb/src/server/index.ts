export { MIN_SECRET_BYTES } from './auth.js';
export { DEFAULT_MAX_FRAME_BYTES, MAX_HANDSHAKE_FRAME_BYTES, PROTOCOL_VERSION } from './protocol.js';
export { RemoteBackend, type RemoteBackendOptions } from './remote-backend.js';
export {
  type ClientCredential,
  createMuDBServer,
  type ListenOptions,
  MuDBServer,
  type MuDBServerOptions,
  type ServerLogEvent,
} from './server.js';
