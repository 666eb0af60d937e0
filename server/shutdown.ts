/**
 * Stopping on a signal: the first SIGTERM or SIGINT starts a graceful stop
 * (the server drains ingest, saves alerts, tells sockets to reconnect, closes
 * the log: see `close()` in app.ts) and exits 0 when it is done; a second
 * signal, or a stop that takes longer than the timeout, exits 1 at once.
 * systemd's TimeoutStopSec (deploy/floorwatch.service) is set above the
 * timeout, so its SIGKILL never cuts a stop that would have finished.
 */

/** Longest a graceful stop may take before the process is forced out, ms: ingest batches in flight commit in milliseconds, sockets close in one round trip. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

export interface StopSignalOptions {
  /** Stops everything in order; resolves when it is safe to exit. */
  stop: () => Promise<void>;
  /** Force exit 1 after this many ms (default {@link SHUTDOWN_TIMEOUT_MS}). */
  timeoutMs?: number;
  logger?: Pick<Console, 'info' | 'error'>;
  /** Ends the process (default `process.exit`); tests pass their own. */
  exit?: (code: number) => void;
  /** Where the signal handlers go (default `process`). */
  target?: Pick<NodeJS.Process, 'on' | 'off'>;
}

/**
 * Installs the SIGTERM and SIGINT handlers; returns a function that removes
 * them. Exit codes: 0 after a stop that finished, 1 when it threw, took longer
 * than `timeoutMs`, or a second signal came first.
 */
export function onStopSignals(opts: StopSignalOptions): () => void {
  const logger = opts.logger ?? console;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const target = opts.target ?? process;
  const timeoutMs = opts.timeoutMs ?? SHUTDOWN_TIMEOUT_MS;
  let stopping = false;
  let done = false;
  const finish = (code: number) => {
    if (done) return;
    done = true;
    exit(code);
  };
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.error(`${signal} again: exiting now, without waiting for the stop to finish`);
      return finish(1);
    }
    stopping = true;
    logger.info(`${signal}: stopping (ingest drained, alerts saved, sockets told to reconnect); a second signal or ${Math.round(timeoutMs / 1000)} s forces it`);
    // Not unref'd: a stop stuck on nothing that keeps the process alive must still end in exit 1, not a silent 0.
    const timer = setTimeout(() => {
      logger.error(`the stop took longer than ${Math.round(timeoutMs / 1000)} s: exiting now`);
      finish(1);
    }, timeoutMs);
    opts.stop().then(
      () => {
        clearTimeout(timer);
        logger.info('stopped');
        finish(0);
      },
      (err: unknown) => {
        clearTimeout(timer);
        logger.error(`the stop failed: ${err instanceof Error ? err.message : String(err)}`);
        finish(1);
      },
    );
  };
  target.on('SIGTERM', handler);
  target.on('SIGINT', handler);
  return () => {
    target.off('SIGTERM', handler);
    target.off('SIGINT', handler);
  };
}
