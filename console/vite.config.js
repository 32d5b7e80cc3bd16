// Builds the console into HUB_CONSOLE_OUT (an absolute path; the C++ build points it at
// <build dir>/console, which hubd serves at /console/) or ./dist.
//
// Development: HUB_DEV_TARGET=https://127.0.0.1:PORT npx vite (or `vite preview` after a build)
// proxies /api to a running hub, whose certificate is self-signed.
import { defineConfig } from 'vite';

export default defineConfig(() => {
  const target = process.env.HUB_DEV_TARGET;
  const proxy = target ? { '/api': { target, secure: false, changeOrigin: true } } : undefined;
  return {
    base: '/console/',
    build: {
      outDir: process.env.HUB_CONSOLE_OUT || 'dist',
      // The output may lie outside this folder (the CMake build dir): empty it all the same.
      emptyOutDir: true,
      target: 'es2022',
      // ECharts alone is ~500 kB minified; it is loaded only by the overview page.
      chunkSizeWarningLimit: 800,
    },
    server: { proxy },
    preview: { proxy },
  };
});
