// `npm start` (from the repository root): `node --import tsx examples/local-network/src/start.ts`.
// Resolves this repository's packages to their TypeScript sources (no build step, `@mu/example-node/use-sources`),
// then runs main.ts.
import '@mu/example-node/use-sources';

await import('./main.js');
