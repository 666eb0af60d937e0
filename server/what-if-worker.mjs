/**
 * Entry of the what-if worker thread (see what-if-worker.ts), as
 * report-worker.mjs: a worker starts with a fresh module loader, so tsx is
 * registered here first and the TypeScript module imported after it.
 */
import { register } from 'tsx/esm/api';

register();
await import('./what-if-worker.ts');
