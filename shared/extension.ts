/**
 * A supervisor's own phone, as set on their user: where listen, whisper and
 * barge ring (server/pbx-actions.ts). Either an extension of the dial plan
 * (`2001`, `*2001`, `+3725550123`), which each PBX dials its usual way, or a
 * dial string of the PBX itself (`PJSIP/2001`, `SIP/2001`, `Local/2001@agents`,
 * `user/2001`, `sofia/internal/2001@pbx`). Pure: shared by the server's
 * validation and the client's form.
 */

/** Longest extension or dial string kept. */
export const EXTENSION_MAX = 64;

/** An extension: digits, with `*`, `#` or a leading `+` (what a desk phone can dial). */
const DIGITS = /^\+?[0-9*#]{1,32}$/;
/**
 * A dial string `TECH/resource`: a technology name, then letters, digits and `@ . _ - + * # /`.
 * No comma, `|`, space or control character: each could end the value and start another argument in
 * a PBX command (Asterisk's Originate `Data`, FreeSWITCH's `originate` arguments).
 */
const DIAL_STRING = /^[A-Za-z][A-Za-z0-9_]{0,15}\/[A-Za-z0-9@._+*#/-]{1,60}$/;

/** Whether a text is an extension of digits (as opposed to a PBX dial string). */
export function isPlainExtension(ext: string): boolean {
  return DIGITS.test(ext);
}

/**
 * Reads an extension from a form or request: trimmed; `''`, `null` or absent clears it (null).
 * Returns the error text for anything that is neither an extension nor a dial string.
 */
export function parseExtension(input: unknown): { ok: true; extension: string | null } | { ok: false; error: string } {
  if (input === undefined || input === null) return { ok: true, extension: null };
  if (typeof input !== 'string') return { ok: false, error: 'extension: a text, e.g. 2001 or PJSIP/2001' };
  const ext = input.trim();
  if (ext === '') return { ok: true, extension: null };
  if (ext.length > EXTENSION_MAX || !(DIGITS.test(ext) || DIAL_STRING.test(ext))) {
    return { ok: false, error: `extension: digits (e.g. 2001) or a dial string such as PJSIP/2001, at most ${EXTENSION_MAX} characters, no spaces or commas` };
  }
  return { ok: true, extension: ext };
}
