// The web console and the GraphiQL page, built by Vite into web/dist (served by the hub, src/http/console.ts).
// Two pages: index.html (the console) and graphiql.html (GraphiQL with its Monaco editor and workers), so the
// console never downloads GraphiQL. Relative asset URLs ('./'): the same build works behind any PUBLIC_BASE_PATH.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: './',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic' } },
  worker: { format: 'es' },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    manifest: true,
    // Scripts, styles and fonts as files: a strict Content-Security-Policy allows no inline data.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 5000,
    rollupOptions: {
      input: { console: here('index.html'), graphiql: here('graphiql.html') },
      // GraphiQL's dependencies mark modules "use client" (React Server Components); meaningless in a browser bundle.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
});
