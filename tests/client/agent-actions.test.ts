// @vitest-environment happy-dom
/**
 * The agent actions dialog's "actions unavailable" line names what to fix on the PBX the server
 * acts on: the manager.conf permission on Asterisk, mod_callcenter on FreeSWITCH (whose event
 * socket password allows every command, so manager.conf means nothing there), and both start
 * flags when there is no PBX; in en, tr and et.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import AgentActions from '../../client/src/components/AgentActions.vue';
import { i18n } from '../../client/src/i18n/index.ts';
import { startLiveClient, stopLiveClient } from './helpers.ts';
import type { AgentView } from '../../shared/wire.ts';

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const KINDS = ['pause', 'unpause', 'remove', 'listen', 'whisper', 'barge'];

const agent: AgentView = {
  agentId: '1001@default', name: '1001@default', team: null, queues: ['support@default'], presence: 'available', reason: null, activity: 'talking', activitySinceMs: T0,
  callId: 'c1', handled: 0, quota: 30, shiftStartMs: null, shiftMinutes: 480, ahtSec: null, holds: 0, holdSec: 0, ringNoAnswer: 0, ringCanceled: 0, ringsHist: [0, 0, 0, 0, 0, 0, 0],
  holdHist: [0, 0, 0, 0, 0], alertsByRule: {}, openAlerts: 0, worstOpenLevel: null, away: null, awaySecByReason: {},
};

/** The dialog opened while `GET /api/actions/status` answers `status`; its "unavailable" line. */
async function unavailableLine(status: Record<string, unknown>): Promise<string> {
  vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ ok: true, data: { kinds: KINDS, ...status } }), { headers: { 'content-type': 'application/json' } }));
  const w = mount(AgentActions, { props: { agent }, attachTo: document.body });
  await flushPromises();
  const line = w.find('[data-testid=actions-unavailable]');
  const text = line.exists() ? line.text() : '';
  for (const k of KINDS) expect(w.find(`[data-testid=action-${k}]`).attributes('disabled'), k).toBeDefined();
  w.unmount();
  return text;
}

beforeEach(() => {
  startLiveClient(T0);
});
afterEach(() => {
  vi.unstubAllGlobals();
  stopLiveClient();
});

describe('the agent actions dialog when the PBX cannot act', () => {
  it('asks for the manager.conf permission on Asterisk and for mod_callcenter on FreeSWITCH', async () => {
    const ast = await unavailableLine({ pbx: 'asterisk', available: false, reason: 'Asterisk refused: Permission denied', refusedAtMs: T0 });
    expect(ast).toContain('Actions unavailable');
    expect(ast).toContain('write = call,agent,originate');
    const fs = await unavailableLine({ pbx: 'freeswitch', available: false, reason: 'FreeSWITCH refused: -ERR permission denied', refusedAtMs: T0 });
    expect(fs).toContain('Actions unavailable');
    expect(fs).toContain('mod_callcenter');
    expect(fs).not.toContain('manager.conf');
  });

  it('names both start flags without a PBX, and says "not connected" while the link is down', async () => {
    expect(await unavailableLine({ pbx: 'none', available: false, reason: 'no PBX' })).toContain('--ami or --freeswitch');
    expect(await unavailableLine({ pbx: 'freeswitch', available: false, reason: 'not connected to the FreeSWITCH event socket' })).toContain('not connected to the phone system now');
  });

  it('says it in Turkish and Estonian too, with mod_callcenter for FreeSWITCH', async () => {
    for (const lang of ['tr', 'et'] as const) {
      i18n.global.locale.value = lang;
      const fs = await unavailableLine({ pbx: 'freeswitch', available: false, reason: 'x', refusedAtMs: T0 });
      expect(fs, lang).toContain('mod_callcenter');
      expect(fs, lang).not.toContain('manager.conf');
      expect(await unavailableLine({ pbx: 'none', available: false, reason: 'x' }), lang).toContain('--freeswitch');
    }
  });
});

describe('the phone extension help', () => {
  it('gives a dial string of each PBX, the @ of the FreeSWITCH one shown as it is (a bare @ is vue-i18n link syntax and breaks the page)', () => {
    for (const lang of ['en', 'tr', 'et'] as const) {
      i18n.global.locale.value = lang;
      const help = i18n.global.t('act.extHelp');
      expect(help, lang).toContain('PJSIP/2001');
      expect(help, lang).toContain('sofia/internal/2001@pbx');
    }
  });
});
