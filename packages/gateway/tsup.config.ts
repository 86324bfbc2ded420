import { defineConfig } from 'tsup';
import { muTsup } from '../../tsup.base.ts';

export default defineConfig(muTsup({ entry: ['src/index.ts', 'src/conformance.ts'], external: ['vitest'] }));
