/**
 * Where the package's own files are, whether the server runs from its sources
 * (`server/*.ts` under tsx or vitest) or compiled (`dist/server/*.js`, the
 * installed package): the root is the nearest folder above this module that
 * holds a package.json, so `dist/client` and `README.md` are found from both.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's root folder: the nearest ancestor of `fromUrl` (default: this
 * module) holding a package.json; the folder above this module when none does.
 */
export function packageRoot(fromUrl: string = import.meta.url): string {
  const start = path.dirname(fileURLToPath(fromUrl));
  for (let dir = start; ; ) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.join(start, '..');
    dir = up;
  }
}

/** The built client (Vite's output), served by the server when present. */
export function clientDir(root: string = packageRoot()): string {
  return path.join(root, 'dist', 'client');
}
