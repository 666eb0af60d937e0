/**
 * Entry of the report worker thread (see report-worker.ts). A worker starts
 * with a fresh module loader: whatever runs the main thread's TypeScript (tsx
 * under `npm start`, vite's module runner under vitest) is not there, so tsx
 * is registered here first, as bin/floorwatch.mjs does, and the TypeScript
 * module is imported after it.
 */
import { register } from 'tsx/esm/api';

register();
await import('./report-worker.ts');
