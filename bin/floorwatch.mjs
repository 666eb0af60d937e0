#!/usr/bin/env node
/**
 * The `floorwatch` command (package.json "bin"). Runs with plain `node` on
 * Node 20: tsx, a dependency of the package, is registered in-process so the
 * TypeScript command line in server/queuelog/cli.ts loads from any directory.
 */
import { register } from 'tsx/esm/api';

register();
try {
  const { runCli } = await import('../server/queuelog/cli.ts');
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  });
} catch (err) {
  process.stderr.write(`floorwatch: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
