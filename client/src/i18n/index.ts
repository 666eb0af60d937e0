/**
 * Languages of the floor: English, Turkish and Estonian. The language is
 * chosen per user (remembered in the browser under their name) and per URL
 * (`?lang=tr`, for a wallboard); numbers, times and dates follow it.
 */
import { createI18n } from 'vue-i18n';
import { en } from './en.ts';
import { tr } from './tr.ts';
import { et } from './et.ts';

export const LOCALES = { en: 'English', tr: 'Türkçe', et: 'Eesti' } as const;
export type Locale = keyof typeof LOCALES;
export const catalogues = { en, tr, et };

const KEY = 'fw-lang';

function isLocale(v: string | null | undefined): v is Locale {
  return v !== null && v !== undefined && v in LOCALES;
}

function store(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/** URL first (a wallboard's), then what this browser remembered, then the browser's language. */
export function initialLocale(search = typeof location === 'undefined' ? '' : location.search): Locale {
  const fromUrl = new URLSearchParams(search).get('lang');
  if (isLocale(fromUrl)) return fromUrl;
  const saved = store()?.getItem(KEY);
  if (isLocale(saved)) return saved;
  const nav = typeof navigator === 'undefined' ? '' : navigator.language.slice(0, 2);
  return isLocale(nav) ? nav : 'en';
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'en',
  messages: catalogues,
  missingWarn: false,
  fallbackWarn: false,
});

/** The language in force now (for Intl formatting outside components). */
export function currentLocale(): Locale {
  return i18n.global.locale.value as Locale;
}

/** Switches language and remembers it, for this user when one is signed in. */
export function setLocale(locale: Locale, username?: string): void {
  i18n.global.locale.value = locale;
  store()?.setItem(KEY, locale);
  if (username) store()?.setItem(`${KEY}:${username}`, locale);
  document.documentElement.lang = locale;
}

/** After sign-in: the user's own remembered language wins over the browser's, unless the URL says otherwise. */
export function restoreUserLocale(username: string): void {
  if (new URLSearchParams(location.search).get('lang')) return;
  const mine = store()?.getItem(`${KEY}:${username}`);
  if (isLocale(mine)) setLocale(mine, username);
}

export const t = i18n.global.t;
