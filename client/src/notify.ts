/**
 * Alerts that are noticed: the tab's title and favicon carry the count of open
 * breaches, and a new breach (or an alert rising to a chosen level) can sound a
 * tone and show a desktop notification, once, or again every {@link REPEAT_MS}
 * while it is open and nobody has acknowledged it. Sound and notifications are opt-in, per user
 * and per face (floor or agent view), remembered in this browser.
 *
 * The pure parts (preferences, title, favicon, the signaller's decisions) take
 * their effects and clock as arguments so tests run them without a browser.
 */
import type { Alert, AlertLevel } from '../../shared/state.ts';
import { needsAck } from './alertFilter.ts';

/** Where the signals are set: a supervisor's floor and an agent's own view are chosen apart (the agent's stays silent unless the agent opts in). */
export type SignalScope = 'floor' | 'agent';

/** One user's choice of signals for one face. */
export interface SignalPrefs {
  /** Play a tone for a new alert of a chosen level. */
  sound: boolean;
  /** Show a desktop notification (the browser's permission is asked when this is switched on). */
  desktop: boolean;
  /** The levels that signal. */
  levels: AlertLevel[];
  /** Signal again every REPEAT_MS while the alert stays open and unacknowledged. */
  repeat: boolean;
}

/** Repeats every 30 s: often enough to be heard across a floor, rare enough not to drown a conversation. */
export const REPEAT_MS = 30_000;

/** The tab's title when nothing is open. */
export const BASE_TITLE = 'Floorwatch';

const LEVELS: readonly AlertLevel[] = ['info', 'warn', 'breach'];

/** Nothing sounds and nothing pops up until the user asks: breaches are preselected for when they do. */
export function defaultPrefs(): SignalPrefs {
  return { sound: false, desktop: false, levels: ['breach'], repeat: false };
}

/** The localStorage key of one user's signals on one face. */
export function prefsKey(scope: SignalScope, user: string): string {
  return `fw-signals:${scope}:${user}`;
}

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/** The user's remembered signals for a face, or the defaults (anything unreadable counts as not chosen). */
export function loadPrefs(scope: SignalScope, user: string, store: Storage | null = storage()): SignalPrefs {
  const d = defaultPrefs();
  let raw: unknown;
  try {
    raw = JSON.parse(store?.getItem(prefsKey(scope, user)) ?? 'null');
  } catch {
    return d;
  }
  if (typeof raw !== 'object' || raw === null) return d;
  const r = raw as Partial<Record<keyof SignalPrefs, unknown>>;
  return {
    sound: r.sound === true,
    desktop: r.desktop === true,
    levels: Array.isArray(r.levels) ? LEVELS.filter((l) => (r.levels as unknown[]).includes(l)) : d.levels,
    repeat: r.repeat === true,
  };
}

/** Remembers the user's signals for a face in this browser. */
export function savePrefs(scope: SignalScope, user: string, prefs: SignalPrefs, store: Storage | null = storage()): void {
  try {
    store?.setItem(prefsKey(scope, user), JSON.stringify(prefs));
  } catch {
    // Private mode or a full storage: the choice holds for this page only.
  }
}

/** The tab title: "(3) Floorwatch" with three breaches open (not ended), "Floorwatch" with none. */
export function titleFor(openBreaches: number, base = BASE_TITLE): string {
  return openBreaches > 0 ? `(${openBreaches}) ${base}` : base;
}

/** The favicon as SVG: the product's mark, with a red badge and the count (99+ past 99) while breaches are open. */
export function faviconSvg(openBreaches: number): string {
  const mark = '<rect x="2" y="2" width="60" height="60" rx="12" fill="#0f172a"/><path d="M16 48V16h26v8H26v6h13v8H26v10z" fill="#38bdf8"/>';
  if (openBreaches <= 0) return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">${mark}</svg>`;
  const text = openBreaches > 99 ? '99+' : String(openBreaches);
  const size = text.length === 1 ? 40 : text.length === 2 ? 32 : 23;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">${mark}` +
    `<circle cx="32" cy="32" r="31" fill="#dc2626"/>` +
    `<text x="32" y="33" text-anchor="middle" dominant-baseline="central" font-family="Arial,Helvetica,sans-serif" font-weight="700" font-size="${size}" fill="#fff">${text}</text></svg>`
  );
}

/** The favicon as a data: URL (the server's CSP allows `img-src data:`). */
export function faviconDataUrl(openBreaches: number): string {
  return `data:image/svg+xml,${encodeURIComponent(faviconSvg(openBreaches))}`;
}

/** Puts the count of open breaches in the tab's title and favicon (the icon link is made once and kept). */
export function applyTabBadge(openBreaches: number, doc: Document = document): void {
  const title = titleFor(openBreaches);
  if (doc.title !== title) doc.title = title;
  let link = doc.head.querySelector<HTMLLinkElement>('link[data-fw-badge]');
  if (!link) {
    link = doc.createElement('link');
    link.rel = 'icon';
    link.type = 'image/svg+xml';
    link.setAttribute('data-fw-badge', '');
    doc.head.appendChild(link);
  }
  const href = faviconDataUrl(openBreaches);
  if (link.getAttribute('href') !== href) link.setAttribute('href', href);
  link.setAttribute('data-count', String(Math.max(0, openBreaches)));
}

let audio: AudioContext | null = null;

/**
 * Makes (or resumes) the page's audio context. Browsers start audio only from a
 * user's action: call this from the click that switches sound on.
 */
export function unlockAudio(): AudioContext | null {
  const Ctor = typeof window === 'undefined' ? undefined : (window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext);
  if (!Ctor) return null;
  audio ??= new Ctor();
  if (audio.state === 'suspended') void audio.resume();
  return audio;
}

/** Two short rising beeps (Web Audio, no file): a breach higher and longer than a warning. */
export function playTone(level: AlertLevel = 'breach'): void {
  const ctx = audio ?? unlockAudio();
  if (!ctx) return;
  const start = ctx.currentTime + 0.01;
  const notes = level === 'breach' ? [880, 1175] : [660, 880];
  const len = level === 'breach' ? 0.22 : 0.15;
  notes.forEach((hz, i) => {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'sine';
    osc.frequency.value = hz;
    const t0 = start + i * (len + 0.08);
    // A short attack and release: no click at either end.
    gain.gain.setValueAtTime(0, t0);
    gain.gain.linearRampToValueAtTime(0.25, t0 + 0.02);
    gain.gain.linearRampToValueAtTime(0, t0 + len);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t0);
    osc.stop(t0 + len + 0.02);
  });
}

/** Desktop notifications as this browser has them: 'unsupported' where there is no Notification API. */
export function notificationPermission(): NotificationPermission | 'unsupported' {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/** Asks the browser for notification permission (call from a click); resolves to what it answered. */
export async function requestNotificationPermission(): Promise<NotificationPermission | 'unsupported'> {
  if (typeof Notification === 'undefined') return 'unsupported';
  if (Notification.permission !== 'default') return Notification.permission;
  return Notification.requestPermission();
}

/** Shows a desktop notification for an alert (one per alert: a repeat replaces the earlier one); a click brings the tab forward. */
export function showNotification(alert: Alert, title: string, body: string): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  try {
    const n = new Notification(title, { body, tag: `fw-alert-${alert.id}`, requireInteraction: alert.level === 'breach' });
    n.onclick = () => {
      window.focus();
      n.close();
    };
  } catch {
    // Chrome on Android allows notifications only from a service worker: the tone and the title still tell.
  }
}

/** What the signaller does to be noticed; injected so tests can count. */
export interface SignalEffects {
  sound(alert: Alert): void;
  notify(alert: Alert): void;
}

/** Makes a signaller: decides which alerts sound and notify, and repeats them while open and unacknowledged. */
export function createSignaller(opts: {
  prefs: () => SignalPrefs;
  effects: SignalEffects;
  /** The alert as the store holds it now, or undefined once it is gone. */
  current: (id: string) => Alert | undefined;
  setInterval?: (fn: () => void, ms: number) => unknown;
  clearInterval?: (h: unknown) => void;
}): { signal(alerts: Alert[]): void; repeat(): void; refresh(): void; pending(): string[]; stop(): void } {
  const pending = new Set<string>();
  const setI = opts.setInterval ?? ((fn: () => void, ms: number) => setInterval(fn, ms));
  const clearI = opts.clearInterval ?? ((h: unknown) => clearInterval(h as ReturnType<typeof setInterval>));
  let timer: unknown = null;

  const wanted = (a: Alert | undefined, p: SignalPrefs): a is Alert => a !== undefined && needsAck(a) && p.levels.includes(a.level) && (p.sound || p.desktop);
  /**
   * What repeats: an alert still open and unacknowledged. Anything that newly needs an acknowledgement
   * sounds once, an ended breach too (a hold without asking ends as it is raised); repeating stops when
   * it is acknowledged or ends, so a repeating tone always points at something open: counted in the tab's
   * title (a breach) and shown open in the feed. An ended, unacknowledged breach waits at the top of the
   * feed in silence.
   */
  const repeats = (a: Alert | undefined, p: SignalPrefs): a is Alert => wanted(a, p) && a.status === 'open';

  function fire(list: Alert[], p: SignalPrefs): void {
    if (list.length === 0) return;
    // One tone for a burst, at the loudest level in it; one notification per alert.
    if (p.sound) opts.effects.sound(list.find((a) => a.level === 'breach') ?? list[0]);
    if (p.desktop) for (const a of list) opts.effects.notify(a);
  }

  function sync(p: SignalPrefs): void {
    const want = p.repeat && pending.size > 0;
    if (want && timer === null) timer = setI(repeat, REPEAT_MS);
    if (!want && timer !== null) {
      clearI(timer);
      timer = null;
    }
  }

  /** Sounds and notifies for alerts the store just found newly needing attention (new, risen, reopened). */
  function signal(alerts: Alert[]): void {
    const p = opts.prefs();
    const list = alerts.filter((a) => wanted(a, p));
    for (const a of list) if (repeats(a, p)) pending.add(a.id);
    fire(list, p);
    sync(p);
  }

  function prune(p: SignalPrefs): Alert[] {
    const list: Alert[] = [];
    for (const id of pending) {
      const a = opts.current(id);
      if (repeats(a, p)) list.push(a);
      else pending.delete(id);
    }
    return list;
  }

  /** Signals again every alert still open and waiting for an acknowledgement; forgets the rest. */
  function repeat(): void {
    const p = opts.prefs();
    const list = prune(p);
    if (p.repeat) fire(list, p);
    sync(p);
  }

  /** After the preferences changed: forgets what no longer signals and starts or stops repeating, without a sound. */
  function refresh(): void {
    const p = opts.prefs();
    prune(p);
    sync(p);
  }

  function stop(): void {
    pending.clear();
    if (timer !== null) clearI(timer);
    timer = null;
  }

  return { signal, repeat, refresh, pending: () => [...pending], stop };
}
