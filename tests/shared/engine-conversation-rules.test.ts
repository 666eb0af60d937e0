/**
 * The six conversation rules of issue 18, each at its threshold with a fake clock, in English,
 * Turkish and Estonian: greeting, clarity, language, dont-know, dead-air, talk-over. Times: the call
 * is answered at 5 s (Feed.connect), transcript offsets count from the answer.
 */
import { describe, expect, it } from 'vitest';
import { configWith, Feed, sec } from './feed.ts';
import type { FloorConfig } from '../../shared/config.ts';

const say = (speaker: 'agent' | 'caller', text: string, startSec: number, endSec: number, lang?: string, callId = 'c1') => ({
  type: 'call.transcript',
  callId,
  speaker,
  text,
  startMs: sec(startSec),
  endMs: sec(endSec),
  final: true,
  ...(lang ? { lang } : {}),
});
const talk = (party: 'agent' | 'caller', talking: boolean, callId = 'c1') => ({ type: 'call.talking', callId, party, talking });

const acme = (): FloorConfig => configWith((c) => (c.companyNames = ['Acme', 'Acme Sigorta', 'Acme Kindlustus']));

/** An agent with a name, and call c1 answered by them at 5 s. */
function answered(name = 'Ann Lee', config = acme()): Feed {
  return new Feed(config).agent(0, 'a1', 'available', { name }).connect(0, 'c1', 'a1');
}

describe('greeting', () => {
  const greetings: [string, string, string][] = [
    ['en', 'Ann Lee', 'Hello, this is Ann from Acme, how can I help?'],
    ['tr', 'İpek Işık', 'Merhaba, ben İPEK, ACME SİGORTA, nasıl yardımcı olabilirim?'],
    ['et', 'Õie Mägi', 'Tere, mina olen Õie, Acme Kindlustus, kuidas saan aidata?'],
  ];
  for (const [lang, name, text] of greetings) {
    it(`${lang}: a greeting with name and company at 5.0 s after the answer raises nothing`, () => {
      const f = answered(name).send(12, say('agent', text, 10, 12, lang));
      expect(f.alerts('greeting')).toEqual([]);
      expect(f.state.calls.get('c1')?.timeline.find((t) => t.type === 'conversation.greeting')?.detail).toEqual({ greeted: true, name: true, company: true });
    });
  }

  it('first words 5.1 s after the answer warn (later than 5 s), with the segment as evidence', () => {
    const f = answered().send(13, say('agent', 'Hello, Ann at Acme speaking', 10.1, 12));
    const [a] = f.alerts('greeting');
    expect(a).toMatchObject({ level: 'warn', value: 5.1, threshold: 5, unit: 'sec', raisedAtMs: sec(10), status: 'resolved' });
    expect(a.evidence).toEqual([{ speaker: 'agent', startMs: sec(10.1), endMs: sec(12) }]);
  });

  it('live: an agent not heard 5 s after the answer warns on the next tick, and the first words settle it', () => {
    const f = answered().send(6, talk('caller', true)).send(7, talk('caller', false)).tick(10).tick(11);
    expect(f.open('greeting')).toMatchObject([{ level: 'warn', value: 6, raisedAtMs: sec(10) }]);
    f.send(12, talk('agent', true));
    expect(f.open('greeting')).toEqual([]);
    expect(f.alerts('greeting')).toMatchObject([{ level: 'warn', value: 7, status: 'resolved' }]);
  });

  it('a late final segment that shows the words began in time withdraws the live warning', () => {
    const f = answered().send(6, talk('caller', true)).send(7, talk('caller', false)).tick(11);
    expect(f.open('greeting')).toHaveLength(1);
    f.send(14, say('agent', 'Hello, this is Ann from Acme', 8, 13.5));
    expect(f.alerts('greeting')).toEqual([]);
  });

  it('a first segment without the name, or without the company, is a breach', () => {
    const noName = answered().send(10, say('agent', 'Hello, Acme, how can I help?', 6, 9));
    expect(noName.alerts('greeting')).toMatchObject([{ level: 'breach', value: 1, unit: 'event' }]);
    const neither = answered().send(10, say('agent', 'Yes?', 6, 7));
    expect(neither.alerts('greeting')).toMatchObject([{ level: 'breach', value: 2 }]);
    // A name inside a longer word is no name: "Annual" is not "Ann".
    const inWord = answered().send(10, say('agent', 'Acme annual plans, hello', 6, 9));
    expect(inWord.alerts('greeting')).toMatchObject([{ level: 'breach', value: 1 }]);
  });

  it('Turkish: dotless ı and dotted İ fold apart — "Isik" is not "Işık", "IŞIK" is', () => {
    const wrong = answered('Işık').send(10, say('agent', 'Merhaba, ben Isik, Acme', 6, 9, 'tr'));
    expect(wrong.alerts('greeting')).toMatchObject([{ level: 'breach', value: 1 }]);
    const right = answered('Işık').send(10, say('agent', 'Merhaba, ben IŞIK, Acme', 6, 9, 'tr'));
    expect(right.alerts('greeting')).toEqual([]);
  });

  it('only the first agent segment is judged; the caller speaking first does not count', () => {
    const f = answered()
      .send(7, say('caller', 'Hello?', 6, 7))
      .send(9, say('agent', 'Hello, Ann from Acme', 7, 9))
      .send(12, say('agent', 'What can I do?', 10, 12));
    expect(f.alerts('greeting')).toEqual([]);
  });

  it('without company names the company is not checked; a floor without conversation events never hears of the rule', () => {
    const f = answered('Ann Lee', configWith(() => {})).send(10, say('agent', 'Hello, Ann here', 6, 8));
    expect(f.alerts('greeting')).toEqual([]);
    const silent = answered().tick(30).ended(60, 'c1').tick(61);
    expect(silent.alerts('greeting')).toEqual([]);
  });
});

describe('clarity', () => {
  const requests: [string, string, string][] = [
    ['en', 'Pardon?', 'Sorry, can you repeat that?'],
    ['tr', 'Efendim?', 'Anlamadım, tekrar eder misiniz?'],
    ['et', 'Kuidas palun?', 'Ma ei saanud aru.'],
  ];
  for (const [lang, first, second] of requests) {
    it(`${lang}: the first request raises nothing, the second warns`, () => {
      const f = answered().send(10, say('caller', first, 8, 9, lang));
      expect(f.alerts('clarity')).toEqual([]);
      f.send(20, say('caller', second, 18, 19.5, lang));
      expect(f.alerts('clarity')).toMatchObject([{ level: 'warn', value: 2, threshold: 2, unit: 'requests' }]);
      expect(f.alerts('clarity')[0].evidence).toEqual([
        { speaker: 'caller', startMs: sec(8), endMs: sec(9) },
        { speaker: 'caller', startMs: sec(18), endMs: sec(19.5) },
      ]);
      f.send(30, say('caller', first, 28, 29, lang));
      expect(f.alerts('clarity')).toMatchObject([{ level: 'warn', value: 3 }]);
    });
  }

  it('the agent saying "pardon" is not the caller asking; a word inside a longer word does not match', () => {
    const f = answered().send(10, say('agent', 'Pardon me, one moment', 8, 9)).send(20, say('caller', 'Pardonable, I guess', 18, 19)).send(30, say('caller', 'pardoned', 28, 29));
    expect(f.alerts('clarity')).toEqual([]);
  });

  it('Turkish casing: "EFENDİM" is a request in Turkish', () => {
    const f = answered().send(10, say('caller', 'EFENDİM?', 8, 9, 'tr')).send(20, say('caller', 'EFENDİM?', 18, 19, 'tr'));
    expect(f.alerts('clarity')).toHaveLength(1);
  });
});

describe('language', () => {
  const words: [string, string][] = [
    ['en', 'That system is damn slow'],
    ['tr', 'Bu sistem çok boktan'],
    ['et', 'Kurat, see ei tööta'],
  ];
  for (const [lang, text] of words) {
    it(`${lang}: a listed word from the agent is a breach`, () => {
      const f = answered().send(20, say('agent', text, 15, 18, lang));
      expect(f.alerts('language')).toMatchObject([{ level: 'breach', value: 1, threshold: 1, unit: 'words' }]);
    });
  }

  it('the caller swearing is not judged; a listed word inside a longer word does not match; more words raise the count', () => {
    const f = answered().send(20, say('caller', 'damn it', 15, 18)).send(25, say('agent', 'Amsterdam is lovely', 21, 24, 'en'));
    expect(f.alerts('language')).toEqual([]);
    f.send(30, say('agent', 'damn, damn', 26, 29, 'en'));
    expect(f.alerts('language')).toMatchObject([{ value: 2 }]);
    f.send(40, say('agent', 'crap', 36, 37, 'en'));
    expect(f.alerts('language')).toMatchObject([{ value: 3 }]);
    expect(f.alerts('language')[0].evidence).toHaveLength(2);
  });

  it("the admin's list replaces the default one for its language", () => {
    const cfg = acme();
    cfg.phrases = { language: { en: ['heck'] } };
    const f = answered('Ann Lee', cfg).send(20, say('agent', 'damn, what the heck', 15, 18, 'en'));
    expect(f.alerts('language')).toMatchObject([{ value: 1 }]);
  });
});

describe('dont-know', () => {
  const lines: [string, string, string][] = [
    ['en', "I don't know.", 'Let me check that for you.'],
    ['tr', 'Bilmiyorum.', 'Hemen kontrol edeyim.'],
    ['et', 'Ma ei tea.', 'Ma uurin järele.'],
  ];
  for (const [lang, dontKnow, offer] of lines) {
    it(`${lang}: an offer 10 s after the end clears it; none by then, with the turn over, warns`, () => {
      const ok = answered().send(20, say('agent', dontKnow, 15, 16, lang)).send(21, say('caller', 'Hmm', 17, 18, lang)).send(27, say('agent', offer, 26, 27, lang)).tick(40);
      expect(ok.alerts('dont-know')).toEqual([]);
      const late = answered().send(20, say('agent', dontKnow, 15, 16, lang)).send(21, say('caller', 'Hmm', 17, 18, lang)).tick(26).tick(27);
      expect(late.alerts('dont-know')).toMatchObject([{ level: 'warn', threshold: 10, unit: 'sec', raisedAtMs: sec(26) }]);
      expect(late.alerts('dont-know')[0].evidence).toEqual([{ speaker: 'agent', startMs: sec(15), endMs: sec(16) }]);
    });
  }

  it('an offer in the same segment, or later in the same turn, clears it', () => {
    const same = answered().send(20, say('agent', "I don't know, but I'll find out", 15, 18)).tick(60);
    expect(same.alerts('dont-know')).toEqual([]);
    const turn = answered()
      .send(20, say('agent', "I don't know.", 15, 16))
      .send(25, say('agent', 'That plan changed last year, the terms are different now.', 18, 24))
      .tick(30)
      .send(35, say('agent', 'Let me check with billing.', 32, 34))
      .tick(40);
    expect(turn.alerts('dont-know')).toEqual([]);
  });

  it('silence ends the turn: nothing said within 10 s of a bare one warns on the tick past the window, and a replay agrees', () => {
    const live = answered().send(20, say('agent', 'Ma ei tea.', 15, 16, 'et')).tick(26);
    expect(live.alerts('dont-know')).toEqual([]);
    live.tick(27);
    expect(live.open('dont-know')).toMatchObject([{ level: 'warn', raisedAtMs: sec(26) }]);
    live.send(40, say('agent', 'Ma uurin järele.', 38, 40, 'et')).ended(50, 'c1');
    const replay = answered().send(20, say('agent', 'Ma ei tea.', 15, 16, 'et')).send(40, say('agent', 'Ma uurin järele.', 38, 40, 'et')).ended(50, 'c1');
    const pick = (f: Feed) => f.alerts('dont-know').map(({ id, level, status, raisedAtMs, resolvedAtMs }) => ({ id, level, status, raisedAtMs, resolvedAtMs }));
    expect(pick(live)).toEqual([{ id: 'dont-know:c1:1', level: 'warn', status: 'resolved', raisedAtMs: sec(26), resolvedAtMs: sec(26) }]);
    expect(pick(replay)).toEqual(pick(live));
  });

  it('the agent speaking again within the window keeps the turn; a live warning raised before that speech was known is withdrawn', () => {
    const f = answered().send(20, say('agent', "I don't know.", 15, 16)).tick(27);
    expect(f.open('dont-know')).toHaveLength(1);
    f.send(30, say('agent', 'Our system shows two plans for you.', 24, 29)); // began within the window, final after it
    expect(f.alerts('dont-know')).toEqual([]);
    f.send(33, say('caller', 'Okay.', 31, 32)).tick(45);
    expect(f.alerts('dont-know')).toMatchObject([{ level: 'warn', raisedAtMs: sec(31) }]);
  });

  it('an offer before the "I don\'t know" does not clear it; the end of the call without one warns', () => {
    const f = answered().send(20, say('agent', "Let me check. Hmm, I don't know.", 15, 18)).ended(22, 'c1');
    expect(f.alerts('dont-know')).toMatchObject([{ level: 'warn', raisedAtMs: sec(22) }]);
  });

  it('a live warning is withdrawn when a late final segment shows the offer came in time', () => {
    const f = answered().send(20, say('agent', 'Ma ei tea.', 15, 16, 'et')).send(21, say('caller', 'Hmm', 17, 18, 'et')).tick(27);
    expect(f.open('dont-know')).toMatchObject([{ level: 'warn', raisedAtMs: sec(26) }]);
    expect(f.state.agents.get('a1')?.today.alerts['dont-know']?.warn).toBe(1);
    f.send(30, say('agent', 'Ma uurin järele.', 25, 29, 'et'));
    // Withdrawn as a replay (no ticks) would never have raised it: gone from the feed and every count.
    expect(f.alerts('dont-know')).toEqual([]);
    expect(f.state.agents.get('a1')?.today.alerts['dont-know']?.warn).toBe(0);
  });

  it('a lapse closed after the window by a later event, then an offer found to have started in time: withdrawn', () => {
    const f = answered().send(20, say('agent', "I don't know.", 15, 16)).send(21, say('caller', 'Hmm', 17, 18)).send(29, talk('caller', true));
    expect(f.alerts('dont-know')).toMatchObject([{ status: 'resolved' }]);
    f.send(31, say('agent', 'Let me check.', 25, 30));
    expect(f.alerts('dont-know')).toMatchObject([{ status: 'retracted' }]);
  });

  it('a replay without ticks gives the same alert as the live run', () => {
    const live = answered().send(20, say('agent', "I don't know.", 15, 16)).send(21, say('caller', 'Okay…', 17, 18)).tick(27).send(40, say('agent', 'Anything else?', 38, 40)).ended(50, 'c1');
    const replay = answered().send(20, say('agent', "I don't know.", 15, 16)).send(21, say('caller', 'Okay…', 17, 18)).send(40, say('agent', 'Anything else?', 38, 40)).ended(50, 'c1');
    const pick = (f: Feed) => f.alerts('dont-know').map(({ id, level, value, raisedAtMs, status, evidence }) => ({ id, level, value, raisedAtMs, status, evidence }));
    expect(pick(live)).toHaveLength(1);
    expect(pick(replay)).toEqual(pick(live));
  });
});

describe('dead-air', () => {
  it('live with talk detection: 14 s of silence nothing, 15 s warn, 30 s breach, and the end of it settles the length', () => {
    const f = answered().send(6, talk('agent', true)).send(10, talk('agent', false)).tick(24);
    expect(f.open('dead-air')).toEqual([]);
    f.tick(25);
    expect(f.open('dead-air')).toMatchObject([{ level: 'warn', value: 15, threshold: 15, raisedAtMs: sec(25) }]);
    f.tick(40);
    expect(f.open('dead-air')).toMatchObject([{ level: 'breach', value: 30, threshold: 30 }]);
    f.send(42, talk('caller', true));
    expect(f.alerts('dead-air')).toMatchObject([{ level: 'breach', value: 32, status: 'resolved' }]);
    expect(f.alerts('dead-air')[0].evidence).toEqual([{ startMs: sec(10), endMs: sec(42) }]);
    expect(f.state.calls.get('c1')?.timeline.find((t) => t.type === 'conversation.dead-air')?.detail).toEqual({ sec: 32 });
  });

  it('hold is never dead air: the silence before a hold ends at it, the one after counts from the unhold', () => {
    const f = answered().send(6, talk('agent', true)).send(10, talk('agent', false)).hold(20, 'c1').tick(80).unhold(90, 'c1').tick(104);
    expect(f.alerts('dead-air')).toEqual([]);
    f.tick(105);
    expect(f.open('dead-air')).toMatchObject([{ value: 15 }]);
  });

  it('from transcripts only: judged when the next segment comes (no live alert), in each language', () => {
    for (const lang of ['en', 'tr', 'et']) {
      const f = answered().send(8, say('agent', 'Hello', 6, 8, lang)).tick(30);
      expect(f.open('dead-air')).toEqual([]);
      f.send(32, say('caller', '…', 31, 32, lang));
      expect(f.alerts('dead-air')).toMatchObject([{ level: 'warn', value: 23 }]);
    }
  });

  it('two silences on a call are two alerts; one under the warning is none', () => {
    const f = answered().send(6, talk('agent', true)).send(7, talk('agent', false)).send(21, talk('caller', true)).send(22, talk('caller', false)).send(40, talk('agent', true)).send(41, talk('agent', false)).send(50, talk('caller', true));
    expect(f.alerts('dead-air').map((a) => a.id)).toEqual(['dead-air:c1:1']);
    expect(f.alerts('dead-air')[0].value).toBe(18);
  });
});

describe('talk-over', () => {
  it('the agent starting while the caller talks: the 3rd time warns, the 4th counts', () => {
    const f = answered();
    const over = (at: number) => f.send(at, talk('caller', true)).send(at + 1, talk('agent', true)).send(at + 2, talk('agent', false)).send(at + 3, talk('caller', false));
    over(10);
    over(20);
    expect(f.alerts('talk-over')).toEqual([]);
    over(30);
    expect(f.alerts('talk-over')).toMatchObject([{ level: 'warn', value: 3, threshold: 3, unit: 'times' }]);
    expect(f.alerts('talk-over')[0].evidence).toHaveLength(3);
    over(40);
    expect(f.alerts('talk-over')).toMatchObject([{ value: 4 }]);
  });

  it('taking turns is not talking over', () => {
    const f = answered();
    for (const at of [10, 20, 30, 40]) f.send(at, talk('caller', true)).send(at + 2, talk('caller', false)).send(at + 3, talk('agent', true)).send(at + 5, talk('agent', false));
    expect(f.alerts('talk-over')).toEqual([]);
  });

  it("an agent answering before the caller's stop comes is taking turns when the stop is dated at or before the agent's start (talk detection stops after a silence)", () => {
    const f = answered();
    // Stops dated back to the last word: at the agent's start (kept in order, as the AMI input does), or before it.
    for (const at of [10, 20, 30]) f.send(at, talk('caller', true)).send(at + 2.8, talk('agent', true)).send(at + 2.8, talk('caller', false)).send(at + 6, talk('agent', false));
    for (const at of [40, 50]) f.send(at, talk('caller', true)).send(at + 2.8, talk('agent', true)).send(at + 2, talk('caller', false)).send(at + 6, talk('agent', false));
    expect(f.state.calls.get('c1')?.conversation?.talkOvers ?? 0).toBe(0);
    expect(f.alerts('talk-over')).toEqual([]);
  });

  it('the caller still talking when the call ends went on past the agent’s start', () => {
    const f = answered();
    for (const at of [10, 20]) f.send(at, talk('caller', true)).send(at + 1, talk('agent', true)).send(at + 2, talk('agent', false)).send(at + 3, talk('caller', false));
    f.send(30, talk('caller', true)).send(31, talk('agent', true)).ended(33, 'c1');
    expect(f.alerts('talk-over')).toMatchObject([{ level: 'warn', value: 3, raisedAtMs: sec(31) }]);
  });
});

describe('settings', () => {
  it('thresholds per queue and rules switched off per team', () => {
    const cfg = acme();
    cfg.queues.q1 = { rules: { deadAirWarnSec: 20, clarityWarnAt: 3 } };
    cfg.teams.T = { disabled: ['language'] };
    const f = new Feed(cfg).agent(0, 'a1', 'available', { name: 'Ann', team: 'T' }).connect(0, 'c1', 'a1');
    f.send(6, talk('agent', true)).send(7, talk('agent', false)).tick(26);
    expect(f.open('dead-air')).toEqual([]);
    f.tick(27);
    expect(f.open('dead-air')).toMatchObject([{ threshold: 20 }]);
    f.send(30, say('caller', 'Pardon?', 28, 29)).send(35, say('caller', 'Pardon?', 33, 34));
    expect(f.alerts('clarity')).toEqual([]);
    f.send(40, say('agent', 'damn', 38, 39));
    expect(f.alerts('language')).toEqual([]);
  });
});

describe('language of a segment', () => {
  it("a segment without lang is read in the call's last named language, else the floor's transcriptLang, else every listed one", () => {
    // "lan" is a Turkish listed word and an English word ("LAN cable"): in English it is no lapse.
    const en = answered().send(10, say('agent', 'Hello, Ann from Acme', 6, 8, 'en')).send(20, say('agent', 'Check the LAN cable', 15, 18));
    expect(en.alerts('language')).toEqual([]);
    const tr = answered().send(10, say('agent', 'Merhaba, Ann, Acme', 6, 8, 'tr')).send(20, say('agent', 'Lan, olmadı', 15, 18));
    expect(tr.alerts('language')).toHaveLength(1);
    const cfg = acme();
    cfg.transcriptLang = 'en';
    const floorLang = answered('Ann Lee', cfg).send(20, say('agent', 'Check the LAN cable', 15, 18));
    expect(floorLang.alerts('language')).toEqual([]);
    const unknown = answered().send(20, say('agent', 'Check the LAN cable', 15, 18));
    expect(unknown.alerts('language')).toHaveLength(1);
  });
});

describe('evidence', () => {
  it('a growing silence gives its alert a new evidence list (live views keep shallow copies and must see the change)', () => {
    const f = answered().send(6, talk('agent', true)).send(10, talk('agent', false)).tick(25);
    const [a] = f.open('dead-air');
    const before = a.evidence;
    expect(before).toEqual([{ startMs: sec(10), endMs: sec(25) }]);
    f.tick(40);
    expect(a.evidence).not.toBe(before);
    expect(before).toEqual([{ startMs: sec(10), endMs: sec(25) }]);
    expect(a.evidence).toEqual([{ startMs: sec(10), endMs: sec(40) }]);
  });
});

describe('dead-air on a call whose end was lost', () => {
  it('the silence up to the lost end is no one\'s dead air: its live alert is withdrawn, and a replay raises none', () => {
    const live = answered().send(6, talk('agent', true)).send(10, talk('agent', false)).tick(30).tick(50);
    expect(live.open('dead-air')).toMatchObject([{ level: 'breach' }]);
    live.send(60, { type: 'call.lost', callId: 'c1', reason: 'no hang-up seen' });
    expect(live.alerts('dead-air')).toEqual([]);
    expect(live.state.agents.get('a1')?.today.alerts['dead-air']).toEqual({ info: 0, warn: 0, breach: 0 });
    const replay = answered().send(6, talk('agent', true)).send(10, talk('agent', false)).send(60, { type: 'call.lost', callId: 'c1', reason: 'no hang-up seen' });
    expect(replay.alerts('dead-air')).toEqual([]);
  });
});
