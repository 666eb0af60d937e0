/**
 * The simulator's conversations (issue 18): what the two parties of an answered call say, and when,
 * for one agent's part of the call (a "leg": from the answer, or from a transfer's answer, to the
 * call's end or transfer). Each turn of speech is voice activity (`call.talking` start and stop, as
 * Asterisk's talk detection reports it) and a final transcript segment (`call.transcript`), now and
 * then preceded by an interim guess; the turns are laid out in the stretches between holds (nobody
 * speaks on hold) with short gaps, in the call's language (en, tr, et).
 *
 * The script is a plausible service call: the agent greets with their name and the company, the
 * caller says why they call, gives a customer number, a few exchanges, a hold request before each
 * hold and thanks after it, and a goodbye (or a transfer). Normal speech never holds a word of the
 * conversation rules' default lists (shared/phrases.ts) but the greeting's, and an honest "I don't
 * know, but let me check" now and then. A few legs carry a lapse of a rule ({@link CONVERSATION_LAPSES}).
 *
 * Pure: no clock, no I/O. Times come in (clock ms), draws come from the caller's seeded source, so
 * the same draws give the same conversation. Durations are floor seconds scaled by `msPerSec`, like
 * every duration of the simulator (`--speed`).
 */
import type { EventOf } from '../shared/events.ts';

/** The floor's languages the simulator speaks. */
export const SIM_LANGS = ['en', 'tr', 'et'] as const;
export type SimLang = (typeof SIM_LANGS)[number];

/** The company the simulated agents answer for: the demo floor's `companyNames` should name it. */
export const SIM_COMPANY_NAME = 'Floorwatch Demo';

/**
 * The lapses a leg may carry, one kind per conversation rule (the greeting rule has two: late, and
 * without the name or the company).
 */
export const CONVERSATION_LAPSES = ['greeting-late', 'greeting-unnamed', 'clarity', 'language', 'dont-know', 'dead-air', 'talk-over'] as const;
export type ConversationLapse = (typeof CONVERSATION_LAPSES)[number];

/**
 * Chance per leg of each lapse (before the simulator's `lapseRate`): a few per cent, so a floor of
 * ~270 answered calls an hour shows each some five to eight times an hour, and most calls none.
 * The greeting lapses only on the call's first leg (the one the rule judges).
 */
const LAPSE_CHANCE: Record<ConversationLapse, number> = {
  'greeting-late': 0.025,
  'greeting-unnamed': 0.025,
  clarity: 0.03,
  language: 0.025,
  'dont-know': 0.03,
  'dead-air': 0.03,
  'talk-over': 0.03,
};
/** Chance per leg of an honest "I don't know, but let me check" (not a lapse: it offers to find out). */
const HONEST_CHANCE = 0.06;
/** Chance per turn of an interim (non-final) segment before the final one. */
const INTERIM_CHANCE = 0.2;
/**
 * Floor seconds of a leg per middle exchange (an agent turn and the caller's answer), beyond the ~50 s
 * of the opening and closing: a 5-minute call has three (some 14 segments), a 30-minute one all of them.
 */
const SEC_PER_PAIR = 70;

type Party = 'agent' | 'caller';
type Topic = 'sales' | 'support' | 'billing' | 'other';

/** The lines of one language. `{name}` is the agent's name, `{company}` the company, `{num}` a customer number. */
interface Lines {
  greet: string[];
  greetNoName: string[];
  greetNoCompany: string[];
  greetBare: string[];
  issue: Record<Topic, string[]>;
  askId: string[];
  giveId: string[];
  thanksId: string[];
  /** Agent line, then the caller's answer; used in this order. */
  middle: [string, string][];
  holdAsk: string[];
  holdOk: string[];
  /** A hold without asking: the agent just says a word before it. */
  holdBare: string[];
  holdBack: string[];
  closeAsk: string[];
  closeNo: string[];
  bye: string[];
  byeCaller: string[];
  transfer: string[];
  transferOk: string[];
  /** The caller asks to repeat: each holds exactly one phrase of the `clarity` list. */
  repeatAsk: string[];
  /** Put before the agent's line said again. */
  repeatPrefix: string;
  /** Each holds exactly one word of the `language` list (the mild ones). */
  swear: string[];
  swearOk: string[];
  /** A caller's question and the agent's answer. */
  question: [string, string][];
  /** A bare "I don't know" (the `dont-know` list, no `find-out` phrase). */
  dontKnow: string[];
  dontKnowAck: string[];
  /** "I don't know" with an offer to find out in the same segment. */
  honest: string[];
  honestThanks: string[];
  /** Before a long silence (dead air), and after it. */
  wait: string[];
  found: string[];
}

const LINES: Record<SimLang, Lines> = {
  en: {
    greet: [
      'Hello, thank you for calling {company}, this is {name}. How can I help you?',
      'Hello, {company}, {name} speaking. How may I help you?',
      'Welcome to {company}, my name is {name}. What can I do for you today?',
    ],
    greetNoName: ['Hello, {company}, how can I help you?'],
    greetNoCompany: ['Hi, this is {name}, how can I help you?'],
    greetBare: ['Hello, how can I help?'],
    issue: {
      sales: ["Hi, I'd like to upgrade my plan to a faster one.", "Hello, I saw your new offer online and I'd like to hear more about it."],
      support: ['Hi, my internet keeps dropping out every evening.', "Hello, there's a red light on my router and nothing works."],
      billing: ["Hello, I think I've been charged twice this month.", 'Hi, I have a question about my latest invoice.'],
      other: ["Hello, I'm calling about the order I placed last week.", 'Hi, I need to change the address on my account.'],
    },
    askId: ['I can help you with that. Could I have your customer number, please?', 'Of course. What is your customer number?'],
    giveId: ["Yes, it's {num}.", "Sure, it's {num}."],
    thanksId: ['Thank you, I have your account in front of me now.', "Thanks, I've found your account."],
    middle: [
      ["I can see what happened here, so let's sort it out.", 'Okay, good.'],
      ["I'm making a small change on your account now. It only takes a moment.", 'All right.'],
      ['The new settings will reach your device within a few minutes.', 'Okay.'],
      ['Is the e-mail address on your account still the right one?', 'Yes, it is.'],
      ["I'll send you a confirmation by e-mail as well, so you have it in writing.", 'Great, thank you.'],
      ["You'll also get a text message once the change is active.", "Okay, I'll keep an eye out for it."],
      ["I've noted everything we discussed on your account.", 'Good to know.'],
      ['If it happens again, you can reach us here or through the app.', "Great, that's helpful."],
      ["That's all done now, everything is set up.", 'Perfect, thanks.'],
    ],
    holdAsk: ['Would it be all right if I put you on hold for a moment?'],
    holdOk: ['Yes, sure.', 'Sure, no problem.'],
    holdBare: ['One moment, please.'],
    holdBack: ['Thank you for holding.', 'Thanks for waiting.'],
    closeAsk: ['Is there anything else I can help you with?'],
    closeNo: ["No, that's everything, thank you."],
    bye: ['Thank you for calling, have a nice day. Goodbye!'],
    byeCaller: ['Bye!', 'You too, bye.'],
    transfer: ["I'm transferring you to a colleague who can help with this. Please stay on the line."],
    transferOk: ['Okay, thanks.'],
    repeatAsk: ['Sorry, could you repeat that?', 'Pardon?', "Sorry, I didn't catch that."],
    repeatPrefix: 'Of course. ',
    swear: ['Sorry, the damn system is slow today.', 'This bloody screen takes ages to load.', 'Oh crap, it logged me out. Just a second.'],
    swearOk: ['No problem.', 'That happens.'],
    question: [
      ['And when will that take effect?', 'It takes effect from the first of next month.'],
      ['Will this change my monthly price?', 'No, your monthly price stays the same.'],
    ],
    dontKnow: ["Hmm, I don't know.", "I don't know, to be honest."],
    dontKnowAck: ['Oh. Okay then.', 'Right, okay.'],
    honest: ["I don't know that offhand, but let me check it for you.", "Good question. I don't know right now, but I'll find out for you."],
    honestThanks: ['Thank you.'],
    wait: ['One moment, please, the system is loading.', 'Just a moment, please.'],
    found: ['Right, here it is.', "Okay, I've got it now."],
  },
  tr: {
    greet: [
      'Merhaba, {company}, ben {name}. Size nasıl yardımcı olabilirim?',
      'İyi günler, {company} müşteri hizmetleri, ben {name}. Nasıl yardımcı olabilirim?',
      'Aradığınız için teşekkürler, {company}, ben {name}. Size nasıl yardımcı olabilirim?',
    ],
    greetNoName: ['İyi günler, {company}, buyurun.'],
    greetNoCompany: ['Merhaba, ben {name}, buyurun.'],
    greetBare: ['Merhaba, nasıl yardımcı olabilirim?'],
    issue: {
      sales: ['Merhaba, paketimi daha hızlı bir paketle değiştirmek istiyorum.', 'İyi günler, internetteki yeni kampanyanız hakkında bilgi almak istiyorum.'],
      support: ['Merhaba, internetim her akşam kopuyor.', 'İyi günler, modemde kırmızı ışık yanıyor ve hiçbir şey çalışmıyor.'],
      billing: ['Merhaba, bu ay iki kez ücret alınmış gibi görünüyor.', 'İyi günler, son faturamla ilgili bir sorum var.'],
      other: ['Merhaba, geçen hafta verdiğim siparişle ilgili arıyorum.', 'İyi günler, hesabımdaki adresi değiştirmem gerekiyor.'],
    },
    askId: ['Tabii, hemen yardımcı olayım. Müşteri numaranızı alabilir miyim?', 'Elbette. Müşteri numaranız nedir?'],
    giveId: ['Tabii, {num}.', 'Evet, numaram {num}.'],
    thanksId: ['Teşekkür ederim, hesabınız önümde.', 'Teşekkürler, hesabınızı buldum.'],
    middle: [
      ['Sorunun nedenini görüyorum, hemen düzeltelim.', 'Tamam, güzel.'],
      ['Şimdi hesabınızda küçük bir değişiklik yapıyorum, bir dakika sürmez.', 'Peki.'],
      ['Yeni ayarlar birkaç dakika içinde cihazınıza ulaşacak.', 'Tamam.'],
      ['Hesabınızdaki e-posta adresi hâlâ geçerli mi?', 'Evet, geçerli.'],
      ['Size e-postayla da bir onay göndereceğim, yazılı olarak elinizde olsun.', 'Harika, teşekkürler.'],
      ['Değişiklik aktif olunca size bir SMS de gelecek.', 'Tamam, takip ederim.'],
      ['Konuştuğumuz her şeyi hesabınıza not olarak ekledim.', 'İyi, teşekkürler.'],
      ['Sorun yine olursa bize buradan ya da uygulamadan ulaşabilirsiniz.', 'Harika, çok yardımcı oldunuz.'],
      ['İşlem tamamlandı, her şey hazır.', 'Çok iyi, teşekkürler.'],
    ],
    holdAsk: ['Sizi kısa bir süre beklemeye alabilir miyim?'],
    holdOk: ['Tabii, beklerim.', 'Olur, sorun değil.'],
    holdBare: ['Bir saniye lütfen.'],
    holdBack: ['Beklediğiniz için teşekkür ederim.', 'Beklettiğim için kusura bakmayın.'],
    closeAsk: ['Başka yardımcı olabileceğim bir konu var mı?'],
    closeNo: ['Hayır, bu kadar, teşekkür ederim.'],
    bye: ['Bizi aradığınız için teşekkür ederiz, iyi günler dilerim.'],
    byeCaller: ['Size de iyi günler, hoşça kalın.', 'Hoşça kalın.'],
    transfer: ['Sizi bu konuda yardımcı olabilecek bir arkadaşıma aktarıyorum, lütfen hatta kalın.'],
    transferOk: ['Tamam, teşekkürler.'],
    repeatAsk: ['Efendim?', 'Pardon, tekrar eder misiniz?', 'Ne dediniz?'],
    repeatPrefix: 'Tabii. ',
    swear: ['Kahretsin, sistem bugün yine çok yavaş.', 'Bu aptal ekran yine dondu, bir saniye.', 'Şu salak program yine açılmıyor.'],
    swearOk: ['Sorun değil.', 'Olur öyle.'],
    question: [
      ['Peki bu değişiklik ne zaman geçerli olacak?', 'Önümüzdeki ayın başından itibaren geçerli olacak.'],
      ['Bu, aylık ücretimi değiştirir mi?', 'Hayır, aylık ücretiniz aynı kalıyor.'],
    ],
    dontKnow: ['Hmm, bilmiyorum.', 'Açıkçası bilmiyorum.'],
    dontKnowAck: ['Ha, peki.', 'Anladım, tamam.'],
    honest: ['Bunu şu an bilmiyorum ama hemen öğrenip size söyleyeceğim.', 'Şu an bilmiyorum, hemen kontrol edeyim.'],
    honestThanks: ['Teşekkür ederim.'],
    wait: ['Bir dakika lütfen, sistem açılıyor.', 'Bir saniye lütfen.'],
    found: ['Evet, buldum.', 'Tamam, şimdi açıldı.'],
  },
  et: {
    greet: [
      'Tere, {company}, {name} kuuleb. Kuidas saan teid aidata?',
      'Tere päevast! {company}, minu nimi on {name}. Kuidas saan abiks olla?',
      'Tervist, {company}, teid teenindab {name}. Millega saan aidata?',
    ],
    greetNoName: ['Tere, {company}, kuidas saan aidata?'],
    greetNoCompany: ['Tere, {name} kuuleb.'],
    greetBare: ['Tere, kuidas saan aidata?'],
    issue: {
      sales: ['Tere, ma sooviksin oma paketi kiirema vastu vahetada.', 'Tere, nägin veebis teie uut pakkumist ja tahaksin selle kohta rohkem teada saada.'],
      support: ['Tere, mu internet katkeb igal õhtul.', 'Tere, ruuteril põleb punane tuli ja midagi ei tööta.'],
      billing: ['Tere, mulle tundub, et mult võeti sel kuul kaks korda raha.', 'Tere, mul on küsimus viimase arve kohta.'],
      other: ['Tere, helistan eelmisel nädalal tehtud tellimuse pärast.', 'Tere, mul on vaja oma konto aadressi muuta.'],
    },
    askId: ['Muidugi, aitan hea meelega. Kas ütleksite oma kliendinumbri?', 'Loomulikult. Mis on teie kliendinumber?'],
    giveId: ['Jah, see on {num}.', 'Minu kliendinumber on {num}.'],
    thanksId: ['Aitäh, teie konto on mul ees.', 'Tänan, leidsin teie konto üles.'],
    middle: [
      ['Ma näen, mis juhtus, teeme selle korda.', 'Selge, hea.'],
      ['Teen nüüd teie kontol väikese muudatuse, see võtab vaid hetke.', 'Hästi.'],
      ['Uued seaded jõuavad teie seadmesse mõne minuti jooksul.', 'Selge.'],
      ['Kas teie konto e-posti aadress on endiselt õige?', 'Jah, on küll.'],
      ['Saadan teile ka kinnituse e-postiga, et see oleks kirjalikult olemas.', 'Suurepärane, aitäh.'],
      ['Kui muudatus jõustub, saate ka SMS-i.', 'Selge, jälgin.'],
      ['Panin kõik, millest rääkisime, ka teie kontole kirja.', 'Hea teada.'],
      ['Kui see peaks korduma, saate meiega ühendust võtta siin või äpi kaudu.', 'Suurepärane, see aitab.'],
      ['Nüüd on kõik tehtud ja korras.', 'Väga hea, aitäh.'],
    ],
    holdAsk: ['Kas ma võin teid hetkeks ootele panna?'],
    holdOk: ['Jah, muidugi.', 'Olgu, pole probleemi.'],
    holdBare: ['Üks hetk, palun.'],
    holdBack: ['Aitäh ootamast.', 'Vabandust, et pidite ootama.'],
    closeAsk: ['Kas saan veel millegagi aidata?'],
    closeNo: ['Ei, see oli kõik, aitäh.'],
    bye: ['Aitäh helistamast ja head päeva!'],
    byeCaller: ['Head aega!', 'Aitäh, head aega.'],
    transfer: ['Ühendan teid nüüd kolleegiga, kes saab selles küsimuses aidata. Palun jääge liinile.'],
    transferOk: ['Hästi, aitäh.'],
    repeatAsk: ['Kuidas palun?', 'Vabandust, ma ei saanud aru.', 'Kas te saaksite korrata?'],
    repeatPrefix: 'Muidugi. ',
    swear: ['Kurat, süsteem on täna nii aeglane.', 'See kuradi vorm ei lae jälle.', 'Pagan, programm viskas mu välja, üks hetk.'],
    swearOk: ['Pole hullu.', 'Juhtub.'],
    question: [
      ['Ja millal see muudatus jõustub?', 'See jõustub järgmise kuu algusest.'],
      ['Kas see muudab mu kuutasu?', 'Ei, teie kuutasu jääb samaks.'],
    ],
    dontKnow: ['Hmm, ma ei tea.', 'Ausalt öeldes ma ei tea.'],
    dontKnowAck: ['Ahah, selge.', 'No hästi siis.'],
    honest: ['Seda ma praegu ei tea, aga ma uurin järele.', 'Seda ma kohe ei tea, aga vaatan järele.'],
    honestThanks: ['Aitäh.'],
    wait: ['Üks hetk, palun, süsteem laeb.', 'Hetk, palun.'],
    found: ['Nii, siin see on.', 'Selge, nüüd on see mul ees.'],
  },
};

/** A hold inside a leg, clock ms; `asked`: the agent asked the caller's permission first. */
export interface SimHold {
  startMs: number;
  endMs: number;
  asked: boolean;
}

/** What {@link scriptLeg} needs to know of an agent's part of a call. */
export interface LegInput {
  callId: string;
  /** The agent's name as the floor knows it ("Aino Tamm"): said in the greeting. */
  agentName: string;
  /** The queue the call came in on: picks what the caller calls about (sales, support, billing, anything else). */
  queueId: string;
  lang: SimLang;
  /** The call's first answer, epoch ms: segment offsets count from it (as the engine reads them). */
  answeredAtMs: number;
  /** Segment times as offsets from the answer (as most speech-to-text engines give them), else epoch ms. */
  offsets: boolean;
  /** The leg's start and end, clock ms (answer, or a carried-on call's restart; end or transfer). */
  fromMs: number;
  toMs: number;
  /** Holds inside the leg, in time order, not overlapping. */
  holds: readonly SimHold[];
  /** `greet`: the call's first leg (the greeting is judged); `greet-again`: after a transfer; `mid-call`: a call carried on after a restart. */
  opening: 'greet' | 'greet-again' | 'mid-call';
  /** How the leg ends: goodbye (the call ends) or the agent hands the call on. */
  closing: 'goodbye' | 'transfer';
  /** Clock ms per floor second (1000 / speed). */
  msPerSec: number;
  /** Multiplier on the lapse chances (the simulator's `lapseRate`). */
  lapseRate: number;
}

/** A conversation event of a leg, without its id (the simulator numbers events), `at` in epoch ms. */
export type ConversationEvent = Omit<EventOf<'call.transcript'>, 'id'> | Omit<EventOf<'call.talking'>, 'id'>;

/** A scripted leg: its events in time order, and the lapses they hold (each as it really came out). */
export interface LegScript {
  events: ConversationEvent[];
  lapses: ConversationLapse[];
}

interface Turn {
  speaker: Party;
  text: string;
  /** A group of optional turns that a short stretch leaves out (lower drops first), none: always said. */
  drop?: number;
  /** Silence before this turn, floor s (a dead-air lapse), instead of the usual gap. */
  silenceSec?: number;
  /** The agent starts this turn while the caller is still on the previous one (a talk-over lapse). */
  over?: boolean;
  /** The greeting turn, a goodbye or hand-over: not asked to be repeated. */
  fixed?: boolean;
  /** Said at about its natural length however long the stretch: a greeting, a "yes", a thank-you. */
  brief?: boolean;
}

/** The stretch of a leg between two holds (or the leg's ends), clock ms, and the turns said in it. */
interface Stretch {
  fromMs: number;
  toMs: number;
  head: Turn[];
  /** The middle, in groups that stay together (an exchange, a lapse with its answer). */
  body: Turn[][];
  tail: Turn[];
}

/** Drop groups, in the order a short stretch leaves them out. */
const DROP_MIDDLE = 1;
const DROP_THANKS = 2;
const DROP_CLOSE = 3;
const DROP_ID = 4;
const DROP_BYE = 5;

/** Natural length of a spoken line, floor s: ~2.6 words a second, plus a breath. */
function naturalSec(text: string): number {
  return Math.max(0.8, text.split(/\s+/).length * 0.38 + 0.3);
}

function topicOf(queueId: string): Topic {
  return queueId === 'sales' || queueId === 'support' || queueId === 'billing' ? queueId : 'other';
}

/**
 * Scripts one leg of a call: its turns, laid out between `fromMs` and `toMs` around the holds, as
 * `call.talking` and `call.transcript` events (time order), and the lapses they really hold. Every
 * event lies inside the leg and outside its holds; the gaps between turns are 0.25–1.2 floor s (a
 * dead-air lapse: 16–35 s). Draws only from `rnd`.
 */
export function scriptLeg(rnd: () => number, leg: LegInput): LegScript {
  const L = LINES[leg.lang];
  const between = (lo: number, hi: number) => lo + rnd() * (hi - lo);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const fill = (s: string) => s.replace('{name}', leg.agentName).replace('{company}', SIM_COMPANY_NAME);
  const want = (k: ConversationLapse) => rnd() < LAPSE_CHANCE[k] * leg.lapseRate;
  const A = (text: string, more: Partial<Turn> = {}): Turn => ({ speaker: 'agent', text, ...more });
  const C = (text: string, more: Partial<Turn> = {}): Turn => ({ speaker: 'caller', text, ...more });
  const ms = (sec: number) => Math.round(sec * leg.msPerSec);

  // Which lapses this leg is meant to carry (all drawn, in a fixed order, whatever the leg).
  const greets = leg.opening === 'greet';
  const late = want('greeting-late') && greets;
  const unnamed = want('greeting-unnamed') && greets;
  const clarity = want('clarity');
  const language = want('language');
  const dontKnow = want('dont-know');
  const deadAir = want('dead-air');
  const talkOver = want('talk-over');
  const honest = rnd() < HONEST_CHANCE && !dontKnow;

  // The stretches between holds.
  const stretches: Stretch[] = [];
  let from = leg.fromMs;
  for (const h of leg.holds) {
    stretches.push({ fromMs: from, toMs: h.startMs, head: [], body: [], tail: [] });
    from = h.endMs;
  }
  stretches.push({ fromMs: from, toMs: leg.toMs, head: [], body: [], tail: [] });
  const first = stretches[0];
  const last = stretches[stretches.length - 1];

  // Opening, hold requests and thanks, closing.
  if (leg.opening !== 'mid-call') {
    const greeting = unnamed ? pick([...L.greetNoName, ...L.greetNoCompany, ...L.greetBare]) : pick(L.greet);
    const num = `${Math.floor(between(100, 1000))} ${Math.floor(between(100, 1000))}`;
    first.head.push(
      A(fill(greeting), { fixed: true, brief: true }),
      C(pick(L.issue[topicOf(leg.queueId)])),
      A(pick(L.askId), { drop: DROP_ID, brief: true }),
      C(pick(L.giveId).replace('{num}', num), { drop: DROP_ID, brief: true }),
    );
    if (rnd() < 0.6) first.head.push(A(pick(L.thanksId), { drop: DROP_THANKS }));
  }
  leg.holds.forEach((h, i) => {
    stretches[i].tail.push(...(h.asked ? [A(pick(L.holdAsk), { fixed: true, brief: true }), C(pick(L.holdOk), { brief: true })] : [A(pick(L.holdBare), { fixed: true, brief: true })]));
    stretches[i + 1].head.push(A(pick(L.holdBack), { brief: true }));
  });
  if (leg.closing === 'transfer') {
    last.tail.push(A(pick(L.transfer), { fixed: true, brief: true }), C(pick(L.transferOk), { brief: true }));
  } else {
    last.tail.push(A(pick(L.closeAsk), { drop: DROP_CLOSE, brief: true }), C(pick(L.closeNo), { drop: DROP_CLOSE, brief: true }), A(pick(L.bye), { fixed: true, brief: true }));
    if (rnd() < 0.5) last.tail.push(C(pick(L.byeCaller), { drop: DROP_BYE, brief: true }));
  }

  // The middle exchanges, in order, spread over the stretches by their length.
  const lengthMs = (s: Stretch) => s.toMs - s.fromMs;
  const totalMs = stretches.reduce((n, s) => n + lengthMs(s), 0);
  const legSec = totalMs / leg.msPerSec;
  const pairs = Math.max(0, Math.min(L.middle.length, Math.floor((legSec - 50) / SEC_PER_PAIR)));
  // Which exchanges: `pairs` of the list, in its order.
  const chosen = L.middle.map((_, i) => i);
  while (chosen.length > pairs) chosen.splice(Math.floor(rnd() * chosen.length), 1);
  for (let j = 0; j < pairs; j++) {
    const share = ((j + 0.5) / pairs) * totalMs;
    let acc = 0;
    let target = last;
    for (const s of stretches) {
      acc += lengthMs(s);
      if (share <= acc) {
        target = s;
        break;
      }
    }
    const [a, c] = L.middle[chosen[j]];
    target.body.push([A(a, { drop: DROP_MIDDLE }), C(c, { drop: DROP_MIDDLE, brief: true })]);
  }

  // Lapses and the honest "I don't know" go into the longest stretch, each at a random place of its body.
  const longest = stretches.reduce((x, y) => (lengthMs(y) > lengthMs(x) ? y : x));
  const insert = (turns: Turn[]) => longest.body.splice(Math.floor(rnd() * (longest.body.length + 1)), 0, turns);
  if (language) insert([A(pick(L.swear), { brief: true }), C(pick(L.swearOk), { brief: true })]);
  if (dontKnow) insert([C(pick(L.question)[0]), A(pick(L.dontKnow), { brief: true }), C(pick(L.dontKnowAck), { brief: true })]);
  if (honest) {
    const [q, answer] = pick(L.question);
    insert([C(q), A(pick(L.honest)), C(pick(L.honestThanks), { brief: true }), A(answer)]);
  }
  const silenceSec = between(16, 35);
  // A silence needs room: the stretch holds it and still some 30 s of speech.
  const silent = deadAir && lengthMs(longest) >= ms(silenceSec + 30);
  if (silent) insert([A(pick(L.wait), { brief: true }), A(pick(L.found), { silenceSec, brief: true })]);

  // A stretch too short for its turns leaves out the optional ones, middle exchanges first.
  for (const s of stretches) {
    for (let level = DROP_MIDDLE; level <= DROP_BYE && needMs(s) > lengthMs(s); level++) {
      s.head = s.head.filter((t) => t.drop !== level);
      s.body = s.body.map((g) => g.filter((t) => t.drop !== level));
      s.tail = s.tail.filter((t) => t.drop !== level);
    }
  }
  function needMs(s: Stretch): number {
    const turns = [...s.head, ...s.body.flat(), ...s.tail];
    return ms(turns.reduce((n, t) => n + naturalSec(t.text) + (t.silenceSec ?? 0.8), 0) + 2);
  }

  const lines: Turn[][] = stretches.map((s) => [...s.head, ...s.body.flat(), ...s.tail]);

  // The caller asks twice to hear an agent line again: after each, the agent says it again.
  let asked = 0;
  if (clarity) {
    const spots = lines.flatMap((turns, si) => turns.flatMap((t, ti) => (t.speaker === 'agent' && !t.fixed && t.silenceSec === undefined ? [[si, ti] as const] : [])));
    const chosen = new Set<string>();
    while (spots.length > 0 && chosen.size < 2) chosen.add(spots.splice(Math.floor(rnd() * spots.length), 1)[0].join(':'));
    if (chosen.size === 2) {
      // Inserted from the back, so the earlier places stay where they were.
      const places = [...chosen].map((k) => k.split(':').map(Number)).sort((x, y) => y[0] - x[0] || y[1] - x[1]);
      for (const [si, ti] of places) {
        const said = lines[si][ti];
        lines[si].splice(ti + 1, 0, C(pick(L.repeatAsk), { brief: true }), A(L.repeatPrefix + said.text, { brief: said.brief }));
      }
      asked = 2;
    }
  }

  // Talk-over: three times the agent starts while the caller is still talking.
  if (talkOver) {
    const spots = lines.flatMap((turns) => turns.flatMap((t, i) => (i > 0 && t.speaker === 'agent' && turns[i - 1].speaker === 'caller' && t.silenceSec === undefined ? [t] : [])));
    if (spots.length >= 3) for (let k = 0; k < 3; k++) spots.splice(Math.floor(rnd() * spots.length), 1)[0].over = true;
  }

  // Lay out each stretch: a lead-in, the turns with their gaps, a tail before the hold or the end.
  const events: ConversationEvent[] = [];
  const segMs = (t: number) => (leg.offsets ? t - leg.answeredAtMs : t);
  let greetingLeadMs = 0;
  let overlaps = 0;
  let silenceMs = 0;
  stretches.forEach((s, si) => {
    const turns = lines[si];
    if (turns.length === 0) return;
    const opening = si === 0 && leg.opening !== 'mid-call';
    const leadSec = opening && late ? between(6, 11) : opening ? between(0.6, 2.5) : between(0.4, 1.5);
    const tailSec = s === last && leg.closing === 'transfer' ? between(0.3, 1) : between(0.4, 1.5);
    const gapsSec = turns.map((t, i) => (i === 0 ? leadSec : (t.silenceSec ?? (t.over ? 0 : between(0.25, 1.2)))));
    let gaps = gapsSec.map((g) => Math.max(1, ms(g)));
    let tail = Math.max(1, ms(tailSec));
    const span = lengthMs(s);
    const natural = turns.map((t) => Math.max(1, ms(naturalSec(t.text))));
    const minSpeech = turns.length * Math.max(1, ms(0.3));
    const gapTotal = gaps.reduce((n, g) => n + g, 0) + tail;
    if (span - gapTotal < minSpeech) {
      // Too short even for quick speech: the gaps shrink with it (never below 1 ms, so order holds).
      const f = Math.max(0, span - minSpeech) / gapTotal;
      gaps = gaps.map((g) => Math.max(1, Math.floor(g * f)));
      tail = Math.max(1, Math.floor(tail * f));
    }
    const speech = Math.max(turns.length, span - gaps.reduce((n, g) => n + g, 0) - tail);
    const naturalTotal = natural.reduce((n, d) => n + d, 0);
    let durations: number[];
    if (speech >= naturalTotal) {
      // Longer than the words: the agent's explanations take most of the extra (typing while talking), the caller's
      // account of the issue some; greetings, yeses and thanks stay about as long as their words.
      // A question is asked briefly too.
      const weights = turns.map((t, i) => natural[i] * (t.brief || t.text.endsWith('?') ? 0.05 : t.speaker === 'agent' ? 3 : 1));
      const wTotal = weights.reduce((n, w) => n + w, 0);
      durations = natural.map((d, i) => d + Math.floor(((speech - naturalTotal) * weights[i]) / wTotal));
    } else {
      durations = natural.map((d) => Math.max(1, Math.floor((d * speech) / naturalTotal)));
    }
    let cursor = s.fromMs;
    let prevEnd = s.fromMs;
    turns.forEach((t, i) => {
      let startAt = cursor + gaps[i];
      if (t.over && i > 0) {
        const overlap = Math.min(ms(between(0.4, 1.5)), Math.floor(durations[i - 1] / 2));
        if (overlap >= 1) {
          startAt = prevEnd - overlap;
          overlaps++;
        }
      }
      if (t.silenceSec !== undefined) silenceMs = Math.max(silenceMs, startAt - prevEnd);
      if (opening && i === 0) greetingLeadMs = startAt - s.fromMs;
      const endAt = startAt + durations[i];
      events.push({ type: 'call.talking', at: startAt, callId: leg.callId, party: t.speaker, talking: true });
      const words = t.text.split(' ');
      if (words.length >= 4 && rnd() < INTERIM_CHANCE) {
        const guessAt = startAt + Math.floor(durations[i] / 2);
        const guess = words
          .slice(0, Math.ceil(words.length / 2))
          .join(' ')
          .replace(/[.,!?]+$/, '');
        events.push({ type: 'call.transcript', at: guessAt, callId: leg.callId, speaker: t.speaker, text: guess, startMs: segMs(startAt), endMs: segMs(guessAt), lang: leg.lang, final: false });
      }
      events.push({ type: 'call.talking', at: endAt, callId: leg.callId, party: t.speaker, talking: false });
      // The final segment comes a moment after the speech ends (the engine's latency), never after the stretch.
      const finalAt = Math.min(endAt + ms(between(0.2, 0.8)), s.toMs - 1);
      events.push({ type: 'call.transcript', at: Math.max(endAt, finalAt), callId: leg.callId, speaker: t.speaker, text: t.text, startMs: segMs(startAt), endMs: segMs(endAt), lang: leg.lang, final: true });
      cursor = endAt;
      prevEnd = endAt;
    });
  });
  events.sort((x, y) => x.at - y.at);

  // The lapses as they came out (a short stretch may have squeezed a silence or an overlap away).
  const lapses: ConversationLapse[] = [];
  if (late && greetingLeadMs > ms(5.5)) lapses.push('greeting-late');
  if (unnamed) lapses.push('greeting-unnamed');
  if (asked === 2) lapses.push('clarity');
  if (language) lapses.push('language');
  if (dontKnow) lapses.push('dont-know');
  if (silent && silenceMs >= ms(16)) lapses.push('dead-air');
  if (overlaps >= 3) lapses.push('talk-over');
  return { events, lapses };
}
