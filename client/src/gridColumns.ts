/**
 * The agent grid's column widths, from the words of the language in force: each column is at least as wide as the
 * widest text it can hold (a state and its time, a call's hold and call timers, the handled count, the badges), so
 * no two columns' text touches in any language; where the grid is narrower than all of them together it shows
 * cards instead of squeezing the columns (issue 14: nothing touches, nothing wraps mid-token).
 */
import type { AgentActivity } from '../../shared/wire.ts';

/** Measures `text` in px at `em` times the grid's font size. */
export type MeasureText = (text: string, em: number) => number;

export interface GridColumns {
  /** Minimum widths in px of the state, call, handled and badges columns. */
  statePx: number;
  callPx: number;
  handledPx: number;
  badgesPx: number;
  /** The narrowest row that still holds every column (padding and gaps included), in px. */
  rowPx: number;
}

/** The longest times a cell shows: an hour-long state, a call with minutes in two digits. */
const LONG_STATE = '0:00:00';
const LONG_CALL = '00:00';
/** The away reasons with words of their own in every language (client/src/away.ts); others are the feed's own text. */
const AWAY_REASONS = ['break', 'lunch', 'training', 'other', 'none'] as const;
/** The name column keeps room for a short name before its ellipsis, in em. */
const NAME_MIN_EM = 7;
/** Gap between columns and the row's side padding, in px (as in styles.css `.row`). */
const GAP_PX = 8;
const ROW_PAD_PX = 8;
/** A badge's side padding and border (1px 6px, 1px border) and the gap between badges, in px. */
const BADGE_BOX_PX = 14;
const BADGE_GAP_PX = 4;

/**
 * Column minimums for these words. `words(key, values)` is the translation function; `measure` the text measurer.
 * The state and call cells are 0.9em, the badges 0.75em, the header 0.8em (as in styles.css).
 */
export function gridColumns(words: (key: string, values?: Record<string, unknown>) => string, measure: MeasureText, emPx: number, activities: readonly AgentActivity[]): GridColumns {
  const statePx = Math.max(...activities.map((a) => measure(`${words(`activity.${a}`)} · ${LONG_STATE}`, 0.9)));
  const callPx = Math.max(
    measure(`▲ ${words('agents.hold', { time: LONG_CALL })}`, 0.9),
    measure(words('agents.call', { time: LONG_CALL }), 0.9),
    measure(`▲ ${words('agents.ring', { n: 9 })}`, 0.9),
    // An away agent's reason and timer against the limit ("lunch 31:10 / 35:00") may wrap onto a second line
    // between the reason and the times, never inside either: each part fits on its own.
    ...AWAY_REASONS.map((r) => measure(`▲ ${words(`away.reason.${r}`)}`, 0.9)),
    measure(`${LONG_CALL} / ${LONG_CALL}`, 0.9),
  );
  // The header's sort button carries a 1em mark after its word.
  const handledPx = Math.max(measure('000/000', 1), measure(words('agents.colHandled'), 0.8) + 0.8 * emPx, measure(words('agents.colToday'), 0.8));
  const badgesPx = 3 * (measure('■ 99', 0.75) + BADGE_BOX_PX) + measure(words('agents.now'), 0.75) + BADGE_BOX_PX + 3 * BADGE_GAP_PX;
  const cols = [statePx, callPx, handledPx, badgesPx].map((px) => Math.ceil(px) + 1);
  const rowPx = emPx * NAME_MIN_EM + cols.reduce((s, px) => s + px, 0) + 4 * GAP_PX + 2 * ROW_PAD_PX;
  return { statePx: cols[0], callPx: cols[1], handledPx: cols[2], badgesPx: cols[3], rowPx: Math.ceil(rowPx) };
}
