/**
 * Entry of the what-if worker thread (see what-if-worker.ts), as
 * report-worker.mjs: built, the compiled module beside this file runs as it
 * is; from the sources tsx is registered first and the TypeScript imported.
 */
import { existsSync } from 'node:fs';

const built = new URL('./what-if-worker.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./what-if-worker.ts');
}
