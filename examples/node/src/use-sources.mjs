// `node --import tsx --import ./examples/node/src/use-sources.mjs …`: resolves this repository's packages
// (`@mu/mudb`, `@mu/runtime`, …) to their TypeScript sources instead of their built `dist`, exactly as the
// tests do (vitest.shared.ts), so the examples run from a fresh clone after `npm install` with no build step.
import { register } from 'node:module';

register('./source-hooks.mjs', import.meta.url);
