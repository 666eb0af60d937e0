/**
 * Keeping keyboard focus inside a modal dialog (WAI-ARIA Authoring Practices, "Dialog (Modal)"
 * pattern: Tab and Shift+Tab wrap within the dialog). Used by the call drill-down and the agent
 * actions dialog; each handles Escape its own way.
 */

/** What can take focus by Tab inside a dialog. */
export const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * Handles a Tab or Shift+Tab keydown inside `dialog`: from the last focusable element (or from outside
 * the dialog) to the first, from the first (or the dialog itself) back to the last; with none, the
 * dialog keeps the focus. Any other key is left alone. Returns whether it handled the key.
 */
export function wrapTab(e: KeyboardEvent, dialog: HTMLElement | null | undefined): boolean {
  if (e.key !== 'Tab' || !dialog) return false;
  const items = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null || el === document.activeElement);
  if (items.length === 0) {
    e.preventDefault();
    dialog.focus();
    return true;
  }
  const firstEl = items[0];
  const lastEl = items[items.length - 1];
  const active = document.activeElement;
  if (e.shiftKey && (active === firstEl || active === dialog || !dialog.contains(active))) {
    e.preventDefault();
    lastEl.focus();
  } else if (!e.shiftKey && (active === lastEl || !dialog.contains(active))) {
    e.preventDefault();
    firstEl.focus();
  }
  return true;
}
