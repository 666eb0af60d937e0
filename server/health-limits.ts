/**
 * The memory bounds of a running server, for `GET /api/health` (`limits`):
 * every in-memory collection that grows with the feed, its size now and its
 * cap, and how many calls the bounds closed. The engine's own collections
 * come from `engineBounds` (shared/engine/bounds.ts); the queue_log tail and
 * AMI adapters report their per-call maps under `sources`.
 */
import { AGENT_ALERTS_CAP, DEFAULT_ENGINE_LIMITS, RECENT_ALERTS_CAP, engineBounds, type EngineBoundsReport, type EngineLimits } from '../shared/engine.ts';
import type { FloorState } from '../shared/state.ts';
import { MAX_BATCH_EVENTS } from './ingest.ts';

/** What `/api/health` shows under `limits`. */
export interface HealthLimits extends EngineBoundsReport {
  /**
   * Duplicate ids: within a batch a Set of at most `perBatchCap` ids, dropped with the batch; across
   * batches the event log's unique index on disk (SQLite) or the stream's (Redis), never a Set in memory.
   */
  dedupe: { perBatchCap: number; acrossBatches: 'event log' };
}

/** The sizes and caps of `state`'s collections that grow with the feed (one pass over queues and agents; cheap). */
export function healthLimits(state: FloorState): HealthLimits {
  return {
    ...engineBounds(state, { recentAlerts: RECENT_ALERTS_CAP, agentAlerts: AGENT_ALERTS_CAP }),
    dedupe: { perBatchCap: MAX_BATCH_EVENTS, acrossBatches: 'event log' },
  };
}

/** The environment variables that set the engine's limits (seconds; a count). */
export const ENGINE_LIMIT_ENV: Readonly<Record<keyof EngineLimits, string>> = {
  staleWaitingSec: 'FLOORWATCH_STALE_WAITING_SEC',
  staleConnectedSec: 'FLOORWATCH_STALE_CONNECTED_SEC',
  maxLiveCalls: 'FLOORWATCH_MAX_LIVE_CALLS',
};

/**
 * The engine limits set in `env` (unset ones are left out: the defaults,
 * {@link DEFAULT_ENGINE_LIMITS}, apply). Throws an Error naming the variable
 * when a value is not a positive number.
 */
export function engineLimitsFromEnv(env: Record<string, string | undefined>): Partial<EngineLimits> {
  const out: Partial<EngineLimits> = {};
  for (const [key, name] of Object.entries(ENGINE_LIMIT_ENV) as [keyof EngineLimits, string][]) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${raw.slice(0, 40)}: must be a positive number (default ${DEFAULT_ENGINE_LIMITS[key]})`);
    out[key] = n;
  }
  return out;
}
