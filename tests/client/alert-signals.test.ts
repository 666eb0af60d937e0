// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import AlertSignals from '../../client/src/components/AlertSignals.vue';
import { i18n, setLocale } from '../../client/src/i18n/index.ts';
import { useAlertsStore } from '../../client/src/stores/alerts.ts';
import { useSessionStore } from '../../client/src/stores/session.ts';
import { applyTabBadge, createSignaller, defaultPrefs, faviconDataUrl, faviconSvg, loadPrefs, prefsKey, savePrefs, titleFor, REPEAT_MS, type SignalPrefs } from '../../client/src/notify.ts';
import type { Alert } from '../../shared/state.ts';

const T = 1_795_510_800_000;
function alert(id: string, over: Partial<Alert> = {}): Alert {
  return { id, ruleId: 'hold-long', level: 'warn', status: 'open', value: 50, threshold: 45, unit: 'sec', raisedAtMs: T, updatedAtMs: T, agentId: 'a1', ...over };
}

/** What the page's Web Audio and Notification did: tones started, notifications shown. */
const calls = { tones: 0, notes: [] as { title: string; body?: string; tag?: string }[], asked: 0 };
class FakeAudioContext {
  state = 'running';
  currentTime = 0;
  destination = {};
  resume(): Promise<void> { return Promise.resolve(); }
  createGain() { return { gain: { setValueAtTime() {}, linearRampToValueAtTime() {} }, connect: (d: unknown) => d }; }
  createOscillator() {
    return { type: 'sine', frequency: { value: 0 }, connect: (d: unknown) => d, start: () => { calls.tones++; }, stop() {} };
  }
}
class FakeNotification {
  static permission: NotificationPermission = 'granted';
  static requestPermission(): Promise<NotificationPermission> { calls.asked++; return Promise.resolve(FakeNotification.permission); }
  onclick: (() => void) | null = null;
  constructor(title: string, opts?: NotificationOptions) { calls.notes.push({ title, body: opts?.body, tag: opts?.tag }); }
  close(): void {}
}

let pinia: Pinia;
beforeEach(() => {
  pinia = createPinia();
  setActivePinia(pinia);
  setLocale('en');
  localStorage.clear();
  calls.tones = 0;
  calls.notes = [];
  calls.asked = 0;
  FakeNotification.permission = 'granted';
  vi.stubGlobal('AudioContext', FakeAudioContext);
  vi.stubGlobal('Notification', FakeNotification);
  document.title = 'Floorwatch';
  useSessionStore().me = { username: 'sam', role: 'supervisor' } as never;
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const mountSignals = (scope: 'floor' | 'agent') => mount(AlertSignals, { props: { scope }, global: { plugins: [i18n, pinia] }, attachTo: document.body });
const on = (over: Partial<SignalPrefs> = {}): SignalPrefs => ({ ...defaultPrefs(), sound: true, desktop: true, ...over });

describe('tab title and favicon', () => {
  it('puts the count of open breaches in the title and a numbered favicon, and plain ones with none', () => {
    expect(titleFor(3)).toBe('(3) Floorwatch');
    expect(titleFor(0)).toBe('Floorwatch');
    expect(faviconSvg(7)).toContain('>7</text>');
    expect(faviconSvg(120)).toContain('>99+</text>');
    expect(faviconSvg(0)).not.toContain('<text');
    expect(faviconDataUrl(3).startsWith('data:image/svg+xml,')).toBe(true);
    applyTabBadge(3);
    applyTabBadge(4);
    const links = document.head.querySelectorAll('link[rel=icon][data-fw-badge]');
    expect(links).toHaveLength(1);
    expect(document.title).toBe('(4) Floorwatch');
    expect(decodeURIComponent(links[0].getAttribute('href') ?? '')).toContain('>4</text>');
  });

  it('follows the open breaches the store holds while the signals are mounted, and gives the plain title back after', async () => {
    const alerts = useAlertsStore();
    alerts.hydrate([alert('b1', { level: 'breach' }), alert('b2', { level: 'breach', ack: { by: 'sam', atMs: T } }), alert('w1'), alert('b3', { level: 'breach', status: 'resolved', ack: { by: 'kim', atMs: T } })]);
    const w = mountSignals('floor');
    expect(document.title).toBe('(2) Floorwatch');
    alerts.apply([alert('b4', { level: 'breach' })], undefined);
    alerts.apply(undefined, undefined, [{ id: 'w1', level: 'breach' }]);
    await w.vm.$nextTick();
    expect(document.title).toBe('(4) Floorwatch');
    expect(document.head.querySelector('link[data-fw-badge]')?.getAttribute('data-count')).toBe('4');
    w.unmount();
    expect(document.title).toBe('Floorwatch');
  });
});

describe('the tab count agrees with the header', () => {
  it('counts the breaches open now, acknowledged or not, and never an ended one still waiting for an acknowledgement', async () => {
    const alerts = useAlertsStore();
    const held = [
      alert('open', { level: 'breach' }),
      alert('open-acked', { level: 'breach', ack: { by: 'sam', atMs: T } }),
      alert('ended-unacked', { level: 'breach', ruleId: 'hold-permission', status: 'resolved', resolvedAtMs: T }),
      alert('ended-acked', { level: 'breach', status: 'resolved', resolvedAtMs: T, ack: { by: 'kim', atMs: T } }),
      alert('withdrawn', { level: 'breach', status: 'retracted' }),
      alert('warn'),
    ];
    alerts.hydrate(held);
    // The header's figure: the open alerts by level (shared/selectors.ts counts the engine's open alerts).
    const header = held.filter((a) => a.status === 'open' && a.level === 'breach').length;
    expect(header).toBe(2);
    expect(alerts.openBreaches).toBe(header);
    const w = mountSignals('floor');
    expect(document.title).toBe('(2) Floorwatch');
    // Thirty ended breaches nobody acknowledged: the header says none open, and so does the tab.
    alerts.hydrate(Array.from({ length: 30 }, (_, i) => alert(`e${i}`, { level: 'breach', ruleId: 'hold-permission', status: 'resolved', resolvedAtMs: T })));
    await w.vm.$nextTick();
    expect(document.title).toBe('Floorwatch');
    expect(document.head.querySelector('link[data-fw-badge]')?.getAttribute('data-count')).toBe('0');
    w.unmount();
  });
});

describe('preferences', () => {
  it('are off by default and remembered per user and per face', () => {
    expect(loadPrefs('floor', 'sam')).toEqual({ sound: false, desktop: false, levels: ['breach'], repeat: false });
    savePrefs('floor', 'sam', on({ levels: ['warn', 'breach'], repeat: true }));
    expect(loadPrefs('floor', 'sam')).toEqual({ sound: true, desktop: true, levels: ['warn', 'breach'], repeat: true });
    expect(loadPrefs('floor', 'kim').sound).toBe(false);
    expect(loadPrefs('agent', 'sam').sound).toBe(false);
    localStorage.setItem(prefsKey('floor', 'bad'), '{not json');
    expect(loadPrefs('floor', 'bad')).toEqual(defaultPrefs());
  });
});

describe('the store finds what newly needs attention', () => {
  it('announces a new breach, a warning rising to breach and a reopened alert once each, never what the first snapshot held nor a growing value', () => {
    const alerts = useAlertsStore();
    const heard: string[] = [];
    alerts.onSignal((list) => heard.push(...list.map((a) => `${a.id}:${a.level}`)));
    alerts.hydrate([alert('old', { level: 'breach' })]);
    expect(heard).toEqual([]);
    alerts.apply([alert('w1')], undefined);
    alerts.apply(undefined, undefined, [{ id: 'w1', value: 60, updatedAtMs: T + 1 }]);
    alerts.apply(undefined, undefined, [{ id: 'w1', level: 'breach', threshold: 90 }]);
    alerts.apply(undefined, undefined, [{ id: 'w1', value: 95, updatedAtMs: T + 2 }]);
    alerts.apply(undefined, undefined, [{ id: 'w1', ack: { by: 'sam', atMs: T + 3 } }]);
    alerts.apply(undefined, undefined, [{ id: 'w1', reopened: { by: 'kim', atMs: T + 4 }, unset: ['ack'] }]);
    alerts.apply(undefined, undefined, [{ id: 'w1', status: 'resolved', resolvedAtMs: T + 5 }]);
    expect(heard).toEqual(['w1:warn', 'w1:breach', 'w1:breach']);
    // A fresh snapshot after a gap announces what arrived meanwhile, not what was there.
    alerts.hydrate([alert('old', { level: 'breach' }), alert('gap', { level: 'breach' })]);
    expect(heard).toEqual(['w1:warn', 'w1:breach', 'w1:breach', 'gap:breach']);
  });

  it('announces a breach that arrives already ended (a fact such as a hold without asking), but not an ended warning', () => {
    const alerts = useAlertsStore();
    const heard: string[] = [];
    alerts.onSignal((list) => heard.push(...list.map((a) => a.id)));
    alerts.hydrate([]);
    alerts.apply([alert('fact', { level: 'breach', ruleId: 'hold-permission', status: 'resolved', resolvedAtMs: T }), alert('gone', { status: 'resolved', resolvedAtMs: T })], undefined);
    expect(heard).toEqual(['fact']);
    // Announced, but not open: the tab's count (like the header's) leaves it out.
    expect(alerts.openBreaches).toBe(0);
    alerts.apply([alert('fact', { level: 'breach', ruleId: 'hold-permission', status: 'resolved', resolvedAtMs: T, ack: { by: 'sam', atMs: T + 1 } })], undefined);
    expect(alerts.openBreaches).toBe(0);
    expect(heard).toEqual(['fact']);
  });
});

describe('sound and desktop notification', () => {
  it('sound a tone and show a notification once for a new breach when switched on', async () => {
    savePrefs('floor', 'sam', on());
    const alerts = useAlertsStore();
    alerts.hydrate([]);
    const w = mountSignals('floor');
    alerts.apply([alert('b1', { level: 'breach', value: 95 })], undefined);
    expect(calls.tones).toBe(2); // one two-note tone
    expect(calls.notes).toEqual([{ title: 'Breach: Long hold', body: 'a1 · 1 min 35 s', tag: 'fw-alert-b1' }]);
    alerts.apply(undefined, undefined, [{ id: 'b1', value: 120, updatedAtMs: T + 9 }]);
    alerts.apply([alert('w1')], undefined); // a warning: not a chosen level
    expect(calls.tones).toBe(2);
    expect(calls.notes).toHaveLength(1);
    w.unmount();
  });

  it('stay silent when not switched on', () => {
    const alerts = useAlertsStore();
    alerts.hydrate([]);
    const w = mountSignals('floor');
    alerts.apply([alert('b1', { level: 'breach' })], undefined);
    expect(calls.tones).toBe(0);
    expect(calls.notes).toEqual([]);
    w.unmount();
  });

  it('repeat every 30 s until the alert is acknowledged when the user chose so', async () => {
    vi.useFakeTimers();
    savePrefs('floor', 'sam', on({ repeat: true }));
    const alerts = useAlertsStore();
    alerts.hydrate([]);
    const w = mountSignals('floor');
    alerts.apply([alert('b1', { level: 'breach' })], undefined);
    expect(calls.notes).toHaveLength(1);
    vi.advanceTimersByTime(REPEAT_MS);
    expect(calls.notes).toHaveLength(2);
    expect(calls.tones).toBe(4);
    alerts.apply(undefined, undefined, [{ id: 'b1', ack: { by: 'sam', atMs: T + 1 } }]);
    vi.advanceTimersByTime(REPEAT_MS * 3);
    expect(calls.notes).toHaveLength(2);
    expect(calls.tones).toBe(4);
    w.unmount();
  });

  it("keep the agent's own view silent by default, even when the same user turned them on for the floor, until switched on there", async () => {
    savePrefs('floor', 'sam', on());
    const alerts = useAlertsStore();
    alerts.hydrate([]);
    const w = mountSignals('agent');
    alerts.apply([alert('b1', { level: 'breach' })], undefined);
    expect(calls.tones).toBe(0);
    expect(calls.notes).toEqual([]);
    await w.find('[data-testid="signals-toggle"]').trigger('click');
    expect(w.find('[data-testid="signals-popover"]').text()).toContain('For your own alerts only.');
    const sound = w.find<HTMLInputElement>('[data-testid="signals-sound"]');
    sound.element.checked = true;
    await sound.trigger('change');
    const tested = calls.tones; // switching on plays a sample so the user knows it works
    expect(tested).toBe(2);
    expect(loadPrefs('agent', 'sam').sound).toBe(true);
    alerts.apply([alert('b2', { level: 'breach' })], undefined);
    expect(calls.tones).toBe(tested + 2);
    w.unmount();
  });

  it('ask the browser for notification permission when the user switches them on, and leave them off when refused', async () => {
    FakeNotification.permission = 'default';
    const w = mountSignals('floor');
    await w.find('[data-testid="signals-toggle"]').trigger('click');
    const box = w.find<HTMLInputElement>('[data-testid="signals-desktop"]');
    box.element.checked = true;
    await box.trigger('change');
    await new Promise((r) => setTimeout(r, 0));
    expect(calls.asked).toBe(1);
    expect(loadPrefs('floor', 'sam').desktop).toBe(false); // 'default' answered: not granted
    FakeNotification.permission = 'denied';
    box.element.checked = true;
    await box.trigger('change');
    await new Promise((r) => setTimeout(r, 0));
    expect(loadPrefs('floor', 'sam').desktop).toBe(false);
    expect(w.text()).toContain('blocks notifications');
    w.unmount();
  });
});

describe('the signaller', () => {
  it('signals an ended breach once but repeats only what is open and unacknowledged, until it ends or is acknowledged', () => {
    const prefs = on({ repeat: true });
    const held = new Map<string, Alert>([
      ['open', alert('open', { level: 'breach' })],
      ['fact', alert('fact', { level: 'breach', ruleId: 'hold-permission', status: 'resolved', resolvedAtMs: T })],
    ]);
    const notes: string[] = [];
    const timers: (() => void)[] = [];
    const s = createSignaller({
      prefs: () => prefs,
      current: (id) => held.get(id),
      effects: { sound: () => {}, notify: (a) => notes.push(a.id) },
      setInterval: (fn) => timers.push(fn),
      clearInterval: () => timers.splice(0),
    });
    s.signal([...held.values()]);
    expect(notes).toEqual(['open', 'fact']);
    expect(s.pending()).toEqual(['open']);
    s.repeat();
    expect(notes).toEqual(['open', 'fact', 'open']);
    // The open breach ends unacknowledged: it leaves the tab's count, and the repeating stops with it.
    held.set('open', alert('open', { level: 'breach', status: 'resolved', resolvedAtMs: T + 1 }));
    s.repeat();
    expect(notes).toEqual(['open', 'fact', 'open']);
    expect(s.pending()).toEqual([]);
    expect(timers).toHaveLength(0);
  });

  it('sounds once for a burst and notifies each alert; stops repeating when repetition is switched off', () => {
    let prefs = on({ repeat: true, levels: ['warn', 'breach'] });
    const held = new Map<string, Alert>([['a', alert('a', { level: 'breach' })], ['b', alert('b')]]);
    const sounds: string[] = [];
    const notes: string[] = [];
    const timers: (() => void)[] = [];
    const s = createSignaller({
      prefs: () => prefs,
      current: (id) => held.get(id),
      effects: { sound: (a) => sounds.push(a.level), notify: (a) => notes.push(a.id) },
      setInterval: (fn) => timers.push(fn),
      clearInterval: () => timers.splice(0),
    });
    s.signal([...held.values()]);
    expect(sounds).toEqual(['breach']);
    expect(notes).toEqual(['a', 'b']);
    expect(timers).toHaveLength(1);
    prefs = { ...prefs, repeat: false };
    s.refresh();
    expect(timers).toHaveLength(0);
    expect(sounds).toEqual(['breach']);
  });
});
