export { createPostgresBackend, PostgresBackend, type PostgresBackendOptions } from './postgres-backend.js';
export type { RetryOptions } from './retry.js';
