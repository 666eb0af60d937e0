/**
 * Entry of the queue_log read thread (see read-thread.ts). A worker starts
 * with a fresh module loader: whatever runs the main thread's TypeScript (tsx
 * for the command from the sources, vite's module runner under vitest) is not
 * there. Built (dist/server, the installed package) the compiled module sits
 * beside this file and runs as it is; from the sources tsx is registered
 * first, as bin/floorwatch.mjs does.
 */
import { existsSync } from 'node:fs';

const built = new URL('./read-worker.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./read-worker.ts');
}
