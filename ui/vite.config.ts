import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const server = process.env['WREN_URL'] ?? 'http://127.0.0.1:8000';

// `npm run build:ui` writes ui/dist, which `wren server` serves at `/`.
// `npx vite --config ui/vite.config.ts` serves the app with hot reload against a running server.
export default defineConfig({
  root,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 800 },
  server: {
    proxy: {
      '/v1': { target: server, ws: true },
      '/openapi.json': server,
    },
  },
});
