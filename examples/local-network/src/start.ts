// `npm start` (from the repository root): `node --import tsx examples/local-network/src/start.ts`.
// Resolves this repository's packages to their TypeScript sources (no build step), then runs main.ts.
import { register } from 'node:module';

register(new URL('../../node/src/source-hooks.mjs', import.meta.url));
await import('./main.js');
