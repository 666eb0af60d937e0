/**
 * The harness's server (tests/server/harness.ts: in-memory users, SQLite log in a temp
 * folder, fake clock, loopback, port 0) with the edge settings the sign-in and
 * cross-site tests turn: trust proxy, allowed origins, secure cookies.
 */
import { afterEach } from 'vitest';
import { startHarness, type EdgeOptions, type Harness } from './harness.ts';

export type { EdgeOptions };

/** Servers started by `start` in a test are closed after it (call at the file's top level). */
export function edgeServers(): { start(opts?: EdgeOptions): Promise<Harness> } {
  let open: Harness[] = [];
  afterEach(async () => {
    for (const h of open) await h.close().catch(() => undefined);
    open = [];
  });
  return {
    async start(opts: EdgeOptions = {}) {
      const h = await startHarness({ edge: opts });
      open.push(h);
      return h;
    },
  };
}
