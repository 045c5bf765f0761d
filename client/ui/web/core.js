// What every screen shares: the latest client state, the page's own navigation, drawing a screen
// (title, heading focus), announcements, error messages, busy buttons, confirmation dialogs and
// the header (assessment, section, time left, save status).
import { h, focusOn, replace } from './dom.js';
import { Saver, STATUS } from './autosave.js';
import { put } from './api.js';

export const app = {
  state: null,          // the last GET /api/state
  local: null,          // a screen the page shows on its own: {screen, base} (see app.js)
  checkDone: false,     // the candidate moved on from the system check in this window
  notice: null,         // a one-off message for the next screen drawn
  refresh: async () => {},  // set by app.js: poll the state now and redraw if it changed
  saver: null,
};

const $ = (id) => document.getElementById(id);

// Draws a screen into <main>: sets the window title, replaces the content, and moves focus to
// the screen's first heading so keyboard and screen-reader users start at the top of it.
export function mount(title, ...nodes) {
  setTitle(title);
  const main = $('main');
  replace(main, ...nodes);
  const heading = main.querySelector('h1');
  focusOn(heading || main);
  window.scrollTo(0, 0);
}

// mount() for the usual screen whose heading is its title.
export function mountTitled(title, ...nodes) {
  mount(title, h('h1', {}, title), ...nodes);
}

export function setTitle(title) {
  document.title = title ? `${title} – Vigil` : 'Vigil';
}

// Says something once through the polite live region (for changes that are not otherwise
// announced: timer warnings, a choice limit). Cleared first so the same words are re-read.
let announceTimer = null;
export function announce(text) {
  const el = $('announcer');
  el.textContent = '';
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => { el.textContent = text; }, 60);
}

// An error message block for a form: a heading, the message, and a link to the field it is
// about. Placed at the top of the form and focused so it is read at once.
export function errorBox(err, fieldId) {
  const box = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1' },
    h('h2', { class: 'error-summary__title' }, 'There is a problem'),
    h('p', {}, err && err.message ? err.message : String(err)),
    fieldId ? h('p', {}, h('a', { href: `#${fieldId}`, onclick: (e) => {
      e.preventDefault();
      const f = document.getElementById(fieldId);
      if (f) f.focus();
    } }, 'Go to it')) : null);
  return box;
}

// Shows `err` in `slot` (a container on the screen) and focuses it; with no error, clears it.
export function showError(slot, err, fieldId) {
  if (!slot) return;
  if (!err) { slot.replaceChildren(); return; }
  const box = errorBox(err, fieldId);
  slot.replaceChildren(box);
  box.focus();
}

// A button. kind: 'primary' (the one main action), 'secondary', 'warning' (a step with no way back),
// 'link' (looks like a link, acts as a button).
export function button(label, onClick, kind = 'secondary', attrs = {}) {
  const { class: extra, ...rest } = attrs;
  return h('button', { ...rest, type: 'button', class: ['button', `button--${kind}`, extra],
    onclick: onClick }, label);
}

// Runs an action from a button: the button says "Please wait…" and ignores further presses
// until the action ends (aria-disabled, not disabled, so focus stays on it).
export async function busy(btn, fn, waitLabel = 'Please wait…') {
  if (btn.getAttribute('aria-disabled') === 'true') return undefined;
  const label = btn.textContent;
  btn.setAttribute('aria-disabled', 'true');
  btn.textContent = waitLabel;
  try {
    return await fn();
  } finally {
    btn.removeAttribute('aria-disabled');
    if (btn.isConnected) btn.textContent = label;
  }
}

// A modal confirmation (native <dialog>: focus stays inside it, Escape cancels). Resolves true
// when the candidate confirms. Focus returns to where it was.
export function confirmDialog({ title, body, confirm, cancel = 'Go back', kind = 'warning' }) {
  const dialog = $('dialog');
  const returnTo = document.activeElement;
  const heading = h('h2', { id: 'dialog-title', tabindex: '-1' }, title);
  return new Promise((resolve) => {
    let answered = false;
    const finish = (value) => {
      if (answered) return;
      answered = true;
      dialog.close();
      resolve(value);
      if (returnTo && returnTo.isConnected) returnTo.focus();
    };
    const yes = button(confirm, () => finish(true), kind);
    const no = button(cancel, () => finish(false), 'secondary');
    replace(dialog, heading, ...body.map((p) => (typeof p === 'string' ? h('p', {}, p) : p)),
      h('div', { class: 'button-row' }, yes, no));
    dialog.setAttribute('aria-labelledby', 'dialog-title');
    dialog.onclose = () => finish(false);
    dialog.showModal();
    // Start on the safe choice: pressing Enter by accident must not end a section.
    no.focus();
  });
}

// ---- Header -----------------------------------------------------------------------------------

export function setHeader({ title, section } = {}) {
  const t = $('hdr-title');
  t.textContent = title || '';
  t.hidden = !title;
  const s = $('hdr-section');
  s.textContent = section || '';
  s.hidden = !section;
}

// The clock in the header. `text` null hides it. Not a live region (see timer.js).
export function setClock(label, text) {
  const wrap = $('hdr-clock');
  if (text === null || text === undefined) { wrap.hidden = true; return; }
  wrap.hidden = false;
  $('hdr-clock-label').textContent = label;
  $('hdr-clock-value').textContent = text;
}

// Save status in the header: a role=status region, so changes are announced politely.
const SAVE_TEXT = {
  [STATUS.idle]: '',
  [STATUS.saving]: 'Saving…',
  [STATUS.saved]: 'Saved',
  [STATUS.retrying]: 'Not saved — retrying',
  [STATUS.failed]: 'Not saved',
};
let practiceNote = false;
export function showSaveStatus(status) {
  const el = $('save-status');
  const text = practiceNote ? 'Practice: nothing is saved' : SAVE_TEXT[status];
  if (el.textContent !== text) el.textContent = text;
  el.dataset.status = practiceNote ? 'practice' : status;
}
export function setPracticeNote(on) {
  practiceNote = on;
  showSaveStatus(app.saver ? app.saver.status : STATUS.idle);
}

// The one saver for the real assessment (autosave.js); its status drives the header.
export function createSaver(onRefused) {
  app.saver = new Saver({
    send: (itemId, value, options) => put(`/api/answers/${encodeURIComponent(itemId)}`, { value }, options),
    onStatus: showSaveStatus,
    onRefused,
  });
  return app.saver;
}

// A short block of "what happens next" text with an optional heading level.
export function panel(cls, ...children) {
  return h('div', { class: ['panel', cls] }, ...children);
}

// Date and time in plain English for the candidate's own time zone (from Unix ms or ISO 8601).
export function formatWhen(when) {
  if (!when) return '';
  const d = new Date(when);
  if (Number.isNaN(d.getTime())) return String(when);
  return d.toLocaleString('en-GB', { weekday: 'long', day: 'numeric', month: 'long',
    hour: 'numeric', minute: '2-digit' });
}

export function formatBytes(n) {
  if (!n) return '0 KB';
  if (n < 1024 * 1024) return `${Math.max(1, Math.round(n / 1024))} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

export { focusOn };
