import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

export default defineConfig({
  plugins: [vue()],
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    // Browser-side code is tested in happy-dom; each file there says so with @vitest-environment.
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
