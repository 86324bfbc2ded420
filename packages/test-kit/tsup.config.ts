import { defineConfig } from 'tsup';
import { muTsup } from '../../tsup.base.ts';

export default defineConfig(muTsup());
