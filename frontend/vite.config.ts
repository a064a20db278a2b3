import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// One config for the app build (embedded into the Go binary, so relative
// asset paths: the same files are served by Wails and by `whetstone serve`)
// and for the unit tests (jsdom, with Svelte's browser build).
export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  base: './',
  build: {
    outDir: 'dist',
    // The build empties dist/; public/.gitkeep is copied back so the committed
    // placeholder (which keeps Go's //go:embed valid on a fresh clone) survives.
    emptyOutDir: true,
    chunkSizeWarningLimit: 300,
  },
  server: {
    // `npm run dev` against a running `whetstone serve --addr 127.0.0.1:8080`.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
  resolve: mode === 'test' ? { conditions: ['browser'] } : undefined,
  test: {
    // Pure logic tests run in Node (fast); component tests opt into jsdom
    // with a `@vitest-environment jsdom` comment.
    environment: 'node',
    globals: true,
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test-setup.ts'],
  },
}));
