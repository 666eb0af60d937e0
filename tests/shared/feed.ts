/**
 * A tiny scripted feed for engine tests: events built from plain objects,
 * validated by the real schema, applied to a state with a fake clock.
 */
import { parseEvent, type FloorEventInput } from '../../shared/events.ts';
import { applyEvent, createFloorState, tick } from '../../shared/engine.ts';
import { defaultConfig, type FloorConfig } from '../../shared/config.ts';
import type { Alert, FloorState } from '../../shared/state.ts';

/** 09:00 UTC on a Tuesday: inside the business day. */
export const T0 = Date.parse('2026-11-24T09:00:00Z');
export const sec = (s: number) => T0 + s * 1000;

export class Feed {
  readonly state: FloorState;
  private n = 0;

  constructor(config: FloorConfig = defaultConfig()) {
    this.state = createFloorState(config, T0);
  }

  /** Applies one event at `atSec` seconds after T0. Throws if the schema rejects it. */
  send(atSec: number, e: Record<string, unknown>): this {
    const r = parseEvent({ id: `t${++this.n}`, at: sec(atSec), ...e } as FloorEventInput);
    if (!r.ok) throw new Error(`test event rejected: ${r.error}`);
    applyEvent(this.state, r.event);
    return this;
  }

  tick(atSec: number): this {
    tick(this.state, sec(atSec));
    return this;
  }

  agent(atSec: number, agentId: string, state = 'available', extra: Record<string, unknown> = {}) {
    return this.send(atSec, { type: 'agent.state', agentId, state, ...extra });
  }
  queued(atSec: number, callId: string, queueId = 'q1') {
    return this.send(atSec, { type: 'call.queued', callId, queueId });
  }
  ringing(atSec: number, callId: string, agentId: string) {
    return this.send(atSec, { type: 'call.ringing', callId, agentId });
  }
  answered(atSec: number, callId: string, agentId: string, ringCount?: number) {
    return this.send(atSec, { type: 'call.answered', callId, agentId, ...(ringCount === undefined ? {} : { ringCount }) });
  }
  hold(atSec: number, callId: string, askedPermission?: boolean) {
    return this.send(atSec, { type: 'call.hold', callId, ...(askedPermission === undefined ? {} : { askedPermission }) });
  }
  unhold(atSec: number, callId: string) {
    return this.send(atSec, { type: 'call.unhold', callId });
  }
  ended(atSec: number, callId: string, extra: Record<string, unknown> = {}) {
    return this.send(atSec, { type: 'call.ended', callId, ...extra });
  }
  abandoned(atSec: number, callId: string) {
    return this.send(atSec, { type: 'call.abandoned', callId });
  }
  /** Queue, ring and answer a call: ringing at `atSec`, answered `ringSec` later. */
  connect(atSec: number, callId: string, agentId: string, ringSec = 5, queueId = 'q1') {
    return this.queued(atSec, callId, queueId).ringing(atSec, callId, agentId).answered(atSec + ringSec, callId, agentId);
  }

  /** Every alert, open or resolved, of one rule. */
  alerts(ruleId?: string): Alert[] {
    const all = [...this.state.alerts.values(), ...this.state.recentAlerts];
    return ruleId ? all.filter((a) => a.ruleId === ruleId) : all;
  }
  open(ruleId?: string): Alert[] {
    return [...this.state.alerts.values()].filter((a) => !ruleId || a.ruleId === ruleId);
  }
}

export function configWith(patch: (c: FloorConfig) => void): FloorConfig {
  const c = defaultConfig();
  patch(c);
  return c;
}
