#!/usr/bin/env node
/**
 * The `floorwatch` command (package.json "bin"), with plain `node` on Node 20:
 *
 *   floorwatch serve [flags]   the server (server/main.ts: the same flags and environment)
 *   floorwatch report|replay|doctor|user|what-if …   the command line (server/queuelog/cli.ts)
 *
 * A checkout with its development tools (tsx) runs the TypeScript sources, registered in-process,
 * so the command works from any directory and never runs a stale build. Anywhere else (an installed
 * package, `npm ci --omit=dev` on a built tree) it runs the compiled JavaScript in dist/ (`npm run
 * build`, or `prepare`): plain node, no TypeScript loader, no Vite.
 */
import { existsSync } from 'node:fs';

const built = new URL('../dist/server/', import.meta.url);
let fromBuild = true;
if (existsSync(new URL('../server/main.ts', import.meta.url))) {
  try {
    const { register } = await import('tsx/esm/api');
    register();
    fromBuild = false;
  } catch {
    // No tsx (installed without development dependencies): the build it is.
  }
}
if (fromBuild && !existsSync(new URL('main.js', built))) {
  process.stderr.write('floorwatch: not built (no dist/server) and no tsx to run the sources: run "npm run build" first\n');
  process.exit(1);
}
const load = (rel) => import(fromBuild ? new URL(`${rel}.js`, built).href : new URL(`../server/${rel}.ts`, import.meta.url).href);

const argv = process.argv.slice(2);
if (argv[0] === 'serve') {
  // The server's own entry: it installs its SIGTERM/SIGINT handlers and exits when stopped.
  const { main } = await load('main');
  main(argv.slice(1)).catch((err) => {
    process.stderr.write(`floorwatch: ${err instanceof Error ? err.message : String(err)}\n`);
    // An unknown flag or stray argument (main.ts UsageError) is a usage error: 2, as for the other commands.
    process.exit(typeof err?.exitCode === 'number' ? err.exitCode : 1);
  });
} else {
  try {
    const { runCli } = await load('queuelog/cli');
    process.exitCode = await runCli(argv, {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      env: process.env,
    });
  } catch (err) {
    process.stderr.write(`floorwatch: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
