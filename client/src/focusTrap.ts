/**
 * Keeping keyboard focus inside a modal dialog (WAI-ARIA Authoring Practices, "Dialog (Modal)"
 * pattern: focus moves into the dialog when it opens, Tab and Shift+Tab wrap within it, and focus goes
 * back to what opened it on close). Used by the call drill-down and the agent actions dialog; each
 * handles Escape its own way.
 */
import { nextTick, onBeforeUnmount, onMounted, ref, type Ref } from 'vue';

/**
 * For a dialog component's setup: the ref to put on the dialog element, focused once mounted; the
 * element that had focus when it opened (an agent row, an alert) gets it back when it unmounts.
 */
export function useModalFocus(): Ref<HTMLElement | null> {
  const dialog = ref<HTMLElement | null>(null);
  let opener: HTMLElement | null = null;
  onMounted(() => {
    opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    void nextTick(() => dialog.value?.focus());
  });
  onBeforeUnmount(() => {
    if (opener?.isConnected) opener.focus();
  });
  return dialog;
}

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
