import { defineConfig } from 'tsup';
import { muTsup } from '../tsup.base.ts';

// `devnet` is Node-only (it spawns anvil), so it is its own entry and the main one stays browser-safe.
export default defineConfig(muTsup({ entry: { index: 'src/index.ts', devnet: 'src/devnet.ts' }, splitting: true }));
