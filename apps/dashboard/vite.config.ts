import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `pnpm dev` proxies the API and the event socket to a running broker (BROKER_URL, default :8080).
const broker = process.env.BROKER_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  // Bundle @buildcluster/protocol from its TypeScript source (only its types are used at run time).
  resolve: { conditions: ['source'] },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 800 },
  server: {
    proxy: {
      '/v4/events': { target: broker.replace(/^http/, 'ws'), ws: true },
      '/v4': broker,
      '/v1': broker,
    },
  },
});
