import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// The client lives in client/ and is built into dist/client, which the express server serves.
export default defineConfig({
  root: 'client',
  plugins: [vue()],
  build: { outDir: '../dist/client', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 400 },
  server: {
    port: 5173,
    proxy: { '/socket.io': { target: 'http://127.0.0.1:3000', ws: true }, '/api': 'http://127.0.0.1:3000' },
  },
});
