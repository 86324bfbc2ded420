import { defineConfig } from 'tsup';
import { muTsup } from '../../tsup.base.ts';

// Splitting keeps one copy of the store's classes shared by the main entry and the conformance suite.
export default defineConfig(muTsup({ entry: ['src/index.ts', 'src/conformance.ts'], splitting: true }));
