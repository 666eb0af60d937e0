/**
 * The engine: folds the call feed into live floor state and checks every call
 * against the etiquette rules. Pure and clock-injected: no I/O and no
 * `Date.now()`. `applyEvent` costs O(1) per event (it mutates the state in
 * place); `tick` costs O(live calls + agents + open voicemails and callbacks)
 * and is called at about 1 Hz.
 *
 * Determinism: replaying the same log gives the same state. Live rules are
 * evaluated by `tick`, but an alert's `raisedAtMs` is the exact moment its
 * threshold was crossed, and when the condition ends (unhold, answer, end…)
 * the final value and level are computed from the event times alone. So a
 * replay with no ticks between events ends in the same alerts as a live run.
 *
 * The code lives in `engine/`, one module per domain: `core` (state,
 * thresholds, bookkeeping), `days` (the clock and the day each event counts
 * on), `alerts` (the alert lifecycle), `calls`, `rings`, `segments`, `queues`,
 * `lost`, `agents`, `promises` (voicemails, callbacks), `supervisor` (what
 * people do), `tick`, and `rules/` (one module per rule family).
 */
export * from './engine/index.ts';
