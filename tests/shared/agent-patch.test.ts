import { describe, expect, it } from 'vitest';
import { applyAgentPatch, diffAgentView } from '../../shared/agent-patch.ts';
import type { AgentView } from '../../shared/wire.ts';

const base: AgentView = {
  agentId: 'a1', name: 'Ann Lee', team: 'blue', queues: ['sales'], presence: 'available', reason: null, activity: 'available', activitySinceMs: 1_000,
  callId: null, handled: 3, quota: 30, shiftStartMs: 0, shiftMinutes: 480, ahtSec: 300, holds: 1, holdSec: 20, ringNoAnswer: 0, ringCanceled: 0, ringsHist: [0, 1, 2, 0, 0, 0, 0],
  holdHist: [1, 0, 0, 0, 0], alertsByRule: { 'hold-long': { info: 0, warn: 1, breach: 0 } }, openAlerts: 0, worstOpenLevel: null,
};

describe('agent patches', () => {
  it('carries only the fields that changed, with the agent id', () => {
    const next: AgentView = { ...base, presence: 'away', reason: 'lunch', activity: 'away', activitySinceMs: 2_000 };
    expect(diffAgentView(base, next)).toEqual({ agentId: 'a1', presence: 'away', reason: 'lunch', activity: 'away', activitySinceMs: 2_000 });
  });

  it('compares lists and records by content, not by identity', () => {
    const copy: AgentView = { ...base, queues: [...base.queues], ringsHist: [...base.ringsHist], alertsByRule: { 'hold-long': { info: 0, warn: 1, breach: 0 } } };
    expect(diffAgentView(base, copy)).toBeNull();
    const grown: AgentView = { ...copy, ringsHist: [0, 1, 3, 0, 0, 0, 0], alertsByRule: { 'hold-long': { info: 0, warn: 1, breach: 1 } } };
    expect(diffAgentView(base, grown)).toEqual({ agentId: 'a1', ringsHist: [0, 1, 3, 0, 0, 0, 0], alertsByRule: { 'hold-long': { info: 0, warn: 1, breach: 1 } } });
  });

  it('sends the whole view for an agent never sent, and keeps a field that became null', () => {
    expect(diffAgentView(undefined, base)).toEqual(base);
    const patch = diffAgentView({ ...base, reason: 'lunch' }, base);
    expect(patch).toEqual({ agentId: 'a1', reason: null });
    expect(JSON.parse(JSON.stringify(patch))).toEqual({ agentId: 'a1', reason: null });
  });

  it('rebuilds the new view from the old one and the patch, as a client does', () => {
    const next: AgentView = { ...base, handled: 4, callId: null, shiftStartMs: 60_000, holdHist: [2, 0, 0, 0, 0] };
    const patch = diffAgentView(base, next);
    expect(patch).not.toBeNull();
    expect(applyAgentPatch(base, JSON.parse(JSON.stringify(patch)))).toEqual(next);
    expect(applyAgentPatch(undefined, base)).toEqual(base);
  });
});
