/**
 * Entry of the queue_log read thread (see read-thread.ts). A worker starts
 * with a fresh module loader: whatever runs the main thread's TypeScript (tsx
 * for the installed command, vite's module runner under vitest) is not there,
 * so tsx is registered first, as bin/floorwatch.mjs does, and the TypeScript
 * module is imported after it.
 */
import { register } from 'tsx/esm/api';

register();
await import('./read-worker.ts');
