// @vitest-environment happy-dom
/**
 * Single sign-on accounts in the pages (issue 17): the account page offers no password change to
 * an account that signs in only through single sign-on (it says where to change it instead), and
 * still offers it to a local account or a linked one with its own password; the Users page marks
 * single sign-on accounts "SSO", in every language.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import AccountView from '../../client/src/views/AccountView.vue';
import UsersView from '../../client/src/views/UsersView.vue';
import { i18n } from '../../client/src/i18n/index.ts';
import { useSessionStore, type Me } from '../../client/src/stores/session.ts';

beforeEach(() => {
  setActivePinia(createPinia());
  i18n.global.locale.value = 'en';
  vi.stubGlobal('fetch', async (path: string) => {
    const reply = (body: unknown, status = 200) => ({ status, json: async () => body });
    if (path === '/api/admin/users') {
      return reply({
        ok: true,
        data: [
          { id: 1, username: 'boss', role: 'admin', agentId: null, createdAtMs: 0, mustChange: false, scope: null, extension: null, sso: false, localPassword: true },
          { id: 2, username: 'una', role: 'supervisor', agentId: null, createdAtMs: 0, mustChange: false, scope: null, extension: null, sso: true, localPassword: false },
        ],
      });
    }
    if (path === '/api/admin/tokens') return reply({ ok: true, data: [] });
    return reply({ ok: false, error: 'not here' }, 404);
  });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

function account(me: Me) {
  useSessionStore().me = me;
  return mount(AccountView, { attachTo: document.body });
}
const base: Me = { username: 'una', role: 'supervisor', agentId: null, demo: false, mustChange: false, extension: null };

describe('the account page of a single sign-on account', () => {
  it('offers no password change to one without a password here, and says where to change it', () => {
    for (const [lang, words] of [['en', /single sign-on.*identity provider/], ['tr', /Tek oturum açma.*kimlik sağlayıcınızda/], ['et', /ühtse sisselogimisega.*identiteedipakkuja/]] as const) {
      i18n.global.locale.value = lang;
      const w = account({ ...base, sso: true, localPassword: false });
      expect(w.find('[data-testid="password-form"]').exists()).toBe(false);
      expect(w.find('input[type="password"]').exists()).toBe(false);
      expect(w.find('[data-testid="sso-only"]').text()).toMatch(words);
      w.unmount();
    }
  });

  it('still offers it to a local account and to a linked one with its own password', () => {
    for (const me of [base, { ...base, sso: true, localPassword: true }]) {
      const w = account(me);
      expect(w.find('[data-testid="password-form"]').exists()).toBe(true);
      expect(w.find('[data-testid="sso-only"]').exists()).toBe(false);
      w.unmount();
    }
  });
});

describe('the Users page', () => {
  it('marks single sign-on accounts SSO, with the meaning in the page’s language', async () => {
    for (const [lang, title] of [['en', 'Signs in through single sign-on'], ['tr', 'Tek oturum açma ile giriş yapar'], ['et', 'Logib sisse ühtse sisselogimisega']] as const) {
      i18n.global.locale.value = lang;
      const w = mount(UsersView, { attachTo: document.body });
      await flushPromises();
      const rows = w.findAll('[data-testid="user-row"]');
      expect(rows).toHaveLength(2);
      expect(rows[0].find('[data-testid="user-sso"]').exists()).toBe(false);
      const mark = rows[1].find('[data-testid="user-sso"]');
      expect(mark.text()).toBe('SSO');
      expect(mark.attributes('title')).toBe(title);
      w.unmount();
    }
  });
});
