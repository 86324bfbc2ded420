import { defineConfig } from 'vite';

// A static page: `vite build` writes dist/, which any static server can host.
export default defineConfig({
  base: './',
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true },
});
