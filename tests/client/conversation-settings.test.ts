// @vitest-environment happy-dom
/**
 * The settings page's conversation rules (issue 18): the six thresholds in the rules table (the
 * defaults shown for a configuration saved before them, overridable per queue), the company names and
 * the phrase-list editor (default list shown while none is stored, reset to default, each line checked
 * by the server's schema with a readable problem, nothing saved while one stands).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import SettingsView from '../../client/src/views/SettingsView.vue';
import { i18n, setLocale } from '../../client/src/i18n/index.ts';
import { DEFAULT_CONVERSATION_RULES, defaultConfig, parseConfig, type FloorConfig } from '../../shared/config.ts';
import { DEFAULT_PHRASES } from '../../shared/phrases.ts';
import { linesProblems, listText, phraseLangs, phraseProblem, withList } from '../../client/src/phraseLists.ts';

let puts: FloorConfig[] = [];
let stored: FloorConfig;

beforeEach(() => {
  setActivePinia(createPinia());
  setLocale('en');
  puts = [];
  stored = { ...defaultConfig(), queues: { sales: {} } };
  vi.stubGlobal('fetch', async (path: string, init?: { method?: string; body?: string }) => {
    const reply = (body: unknown, status = 200) => ({ status, json: async () => body });
    if (path === '/api/settings' && init?.method === 'PUT') {
      const sent = JSON.parse(init.body ?? '{}') as FloorConfig;
      puts.push(sent);
      const r = parseConfig(sent);
      return r.ok ? reply({ ok: true, data: r.config }) : reply({ ok: false, error: r.error }, 400);
    }
    if (path === '/api/settings') return reply({ ok: true, data: structuredClone(stored) });
    if (path.startsWith('/api/snapshot')) return reply({ ok: true, data: { payload: { queues: [], agents: [] } } });
    return reply({ ok: false, error: 'not here' }, 404);
  });
});
afterEach(() => {
  vi.unstubAllGlobals();
  setLocale('en');
});

async function page() {
  const w = mount(SettingsView, { attachTo: document.body, global: { plugins: [i18n] } });
  await flushPromises();
  return w;
}
type Page = Awaited<ReturnType<typeof page>>;
async function save(w: Page) {
  await w.find('[data-testid=settings-save]').trigger('click');
  await flushPromises();
}

describe('phrase lists, pure', () => {
  it('says a line’s problem by the server schema in words, in each language', () => {
    expect(phraseProblem('pardon')).toBeNull();
    expect(phraseProblem('x'.repeat(81))).toBe('longer than 80 characters');
    expect(phraseProblem('one two three four five six seven eight nine')).toBe('more than 8 words');
    expect(phraseProblem('?!')).toBe('empty');
    setLocale('tr');
    expect(phraseProblem('one two three four five six seven eight nine')).toBe('8 kelimeden fazla');
    setLocale('et');
    expect(linesProblems('tere\n\n?!', 500)).toEqual(['Rida 3 („?!“): tühi']);
  });

  it('shows the default until a list is stored, stores only a changed list, and resets to the default', () => {
    expect(listText(undefined, 'clarity', 'tr')).toEqual({ text: DEFAULT_PHRASES.clarity.tr.join('\n'), isDefault: true });
    expect(withList(undefined, 'clarity', 'tr', [...DEFAULT_PHRASES.clarity.tr])).toBeUndefined();
    const own = withList(undefined, 'clarity', 'tr', ['efendim', 'nasıl yani']);
    expect(own).toEqual({ clarity: { tr: ['efendim', 'nasıl yani'] } });
    expect(listText(own, 'clarity', 'tr')).toEqual({ text: 'efendim\nnasıl yani', isDefault: false });
    expect(withList(own, 'clarity', 'tr', null)).toBeUndefined();
    expect(withList(own, 'language', 'et', [])).toEqual({ clarity: { tr: ['efendim', 'nasıl yani'] }, language: { et: [] } });
    expect(phraseLangs({ greeting: { az: ['salam'] } })).toEqual(['en', 'tr', 'et', 'az']);
  });
});

describe('conversation rules on the settings page', () => {
  it('shows the six thresholds with their defaults for a configuration saved before them, and saves a change', async () => {
    for (const k of Object.keys(DEFAULT_CONVERSATION_RULES)) delete (stored.rules as Record<string, number>)[k];
    const w = await page();
    for (const [k, v] of Object.entries(DEFAULT_CONVERSATION_RULES)) {
      const input = w.find(`[data-testid=rule-${k}]`);
      expect((input.element as HTMLInputElement).value, k).toBe(String(v));
      expect(w.find(`label[for=rule-${k}]`).text(), k).not.toMatch(/settings\./);
      expect(w.find(`#help-${k}`).text(), k).not.toMatch(/settings\./);
      expect(w.find(`[data-testid=unit-${k}]`).text(), k).not.toMatch(/settings\./);
    }
    await w.find('[data-testid=rule-deadAirWarnSec]').setValue('20');
    await save(w);
    expect(puts).toHaveLength(1);
    expect(puts[0].rules.deadAirWarnSec).toBe(20);
    expect(w.find('[data-testid=settings-save-message]').text()).toContain('Saved');
    w.unmount();
  });

  it('overrides a conversation threshold per queue, the floor’s value as placeholder', async () => {
    const w = await page();
    await w.find('[data-testid=settings-scope]').setValue('queue:sales');
    const input = w.find('[data-testid=rule-talkOverWarnAt]');
    expect((input.element as HTMLInputElement).value).toBe('');
    expect(input.attributes('placeholder')).toBe('3');
    expect(w.find('[data-testid=cs-floor-only]').exists()).toBe(true);
    await input.setValue('5');
    await save(w);
    expect(puts[0].queues.sales.rules?.talkOverWarnAt).toBe(5);
    w.unmount();
  });

  it('edits the company names and a phrase list, shows the default first, resets it, and saves the real schema’s shape', async () => {
    const w = await page();
    await w.find('[data-testid=cs-company]').setValue('Acme\nAcme Insurance\n');
    await w.find('[data-testid=cs-rule]').setValue('language');
    await w.find('[data-testid=cs-lang]').setValue('tr');
    const area = w.find('[data-testid=cs-phrases]');
    expect((area.element as HTMLTextAreaElement).value).toBe(DEFAULT_PHRASES.language.tr.join('\n'));
    expect(w.find('[data-testid=cs-list-state]').text()).toContain('default list');
    expect(w.find('[data-testid=cs-reset]').attributes('disabled')).toBeDefined();
    await area.setValue('lan\nsalak\nhıyar');
    expect(w.find('[data-testid=cs-list-state]').text()).toContain('own list');
    await save(w);
    expect(puts[0].companyNames).toEqual(['Acme', 'Acme Insurance']);
    expect(puts[0].phrases).toEqual({ language: { tr: ['lan', 'salak', 'hıyar'] } });
    await w.find('[data-testid=cs-reset]').trigger('click');
    expect((w.find('[data-testid=cs-phrases]').element as HTMLTextAreaElement).value).toBe(DEFAULT_PHRASES.language.tr.join('\n'));
    await save(w);
    expect(puts[1].phrases).toBeUndefined();
    w.unmount();
  });

  it('refuses a bad line with its problem at the field and saves nothing until it is fixed', async () => {
    const w = await page();
    await w.find('[data-testid=cs-rule]').setValue('clarity');
    await w.find('[data-testid=cs-phrases]').setValue('pardon\none two three four five six seven eight nine');
    expect(w.find('[data-testid=cs-phrases-problems]').text()).toBe('Line 2 (“one two three four five …”): more than 8 words');
    expect(w.find('[data-testid=cs-phrases]').attributes('aria-invalid')).toBe('true');
    await save(w);
    expect(puts).toHaveLength(0);
    expect(w.find('[data-testid=settings-save-message]').text()).toContain('phrase lists');
    // Another list shown: the problem stays listed, named by its list.
    await w.find('[data-testid=cs-rule]').setValue('greeting');
    expect(w.find('[data-testid=cs-phrases-problems]').text()).toContain('Requests to repeat (caller), English (en) —');
    await w.find('[data-testid=cs-rule]').setValue('clarity');
    await w.find('[data-testid=cs-phrases]').setValue('pardon\ncome again');
    expect(w.find('[data-testid=cs-phrases-problems]').exists()).toBe(false);
    await save(w);
    expect(puts[0].phrases).toEqual({ clarity: { en: ['pardon', 'come again'] } });
    w.unmount();
  });
});
