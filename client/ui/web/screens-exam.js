// The screens of the sitting itself: a section (section.js draws it), the practice run, a
// break, the final review with "submit", and the submitted screen with the receipt and sync
// progress.
import { h, replace } from './dom.js';
import { get, post } from './api.js';
import { Saver } from './autosave.js';
import {
  app, mount, mountTitled, button, busy, showError, setHeader, setClock, setPracticeNote, announce,
  panel, formatBytes,
} from './core.js';
import { Countdown, formatRemaining, spokenRemaining } from './timer.js';
import { renderSection, startsWithIntro } from './section.js';
import { practiceSection, PRACTICE_MINUTES } from './practice.js';

const clockEl = () => document.getElementById('hdr-clock');

// A countdown wired to the header clock and the polite announcer. `what` names what is timed in
// the announcement ("in this section", "of your break").
function headerCountdown(label, what, onZero) {
  return new Countdown({
    onTick: (ms) => setClock(label, formatRemaining(ms)),
    onWarning: (level, ms) => {
      clockEl().classList.add('clock--warning');
      const left = level === 'one_minute' && ms > 55000 ? '1 minute' : spokenRemaining(ms);
      announce(level === 'one_minute'
        ? `${left} left ${what}. Your answers are saved as you go.`
        : `${left === '5 minutes' ? '5 minutes' : `About ${left}`} left ${what}.`);
    },
    onZero,
  });
}

function stopClock(countdown) {
  if (countdown) countdown.stop();
  setClock(null);
  clockEl().classList.remove('clock--warning');
}

function runnerOf(st) {
  return (st && st.runner) || {};
}

function sectionCaption(r, title) {
  const n = r.section_count ? `Section ${(r.section_index || 0) + 1} of ${r.section_count}` : '';
  const planned = Array.isArray(r.sections) && r.sections[r.section_index || 0];
  return [n, title || (planned && planned.title)].filter(Boolean).join(': ');
}

// ---- A section of the real assessment ----------------------------------------------------------

let finishedByCandidate = false;

export const sectionScreen = {
  key: (st) => `section:${runnerOf(st).section_index || 0}`,

  async render(st) {
    const r = runnerOf(st);
    const token = {};
    this.token = token;
    finishedByCandidate = false;
    app.saver.clearAcknowledged();
    document.getElementById('save-problem').hidden = true;
    setHeader({ title: st.package && st.package.title, section: sectionCaption(r) });
    if (this.countdown) this.countdown.stop();  // "Try again" draws the section anew
    this.countdown = headerCountdown('Time left', 'in this section', () => app.pollSoon());
    this.countdown.sync(this.key(st), r.section_remaining_ms || 0, r.warning);
    const slot = h('div', { class: 'error-slot' });
    mountTitled('Opening your section', slot, h('p', {}, 'Please wait a moment.'));
    let data;
    try {
      data = await get('/api/section');
    } catch (err) {
      if (this.token !== token) return;
      showError(slot, err);
      slot.appendChild(button('Try again', () => { this.render(app.state); }, 'primary'));
      return;
    }
    if (this.token !== token) return;
    setHeader({ title: st.package && st.package.title, section: sectionCaption(r, data.title) });
    // Where to start: the section's own record of it (GET /api/section), else the state's.
    const at = Number.isInteger(data.item_index) ? data.item_index : r.item_index;
    const itemIndex = Number.isInteger(at) && at >= 0 ? at : 0;
    const reviewView = data.view === 'review' || r.phase === 'review';
    this.last = Boolean(data.last);
    renderSection(data, {
      save: (id, value, mode) => app.saver.set(id, value, mode),
      latest: (id) => app.saver.latest(id),
      flag: (id, on) => post('/api/flag', { item_id: id, flagged: on }),
      // Telling the client where the candidate is matters for resuming after a restart, not for
      // what the page shows: a failure here is retried by the next move.
      navigate: (body) => post('/api/navigate', body).catch(() => {}),
      // Finishing the last section is submitting the assessment. The flag is set before the
      // request, so a poll that sees the next screen first does not report a time-out.
      finish: async () => {
        finishedByCandidate = true;
        try {
          await (data.last ? post('/api/submit', { confirm: true }) : post('/api/section/finish', {}));
        } catch (err) {
          finishedByCandidate = false;
          throw err;
        }
      },
      flush: () => app.saver.flush(),
      onFinished: () => app.pollSoon(),
      practice: false,
    }, {
      index: r.section_index || 0,
      count: r.section_count || 0,
      last: Boolean(data.last),
      item: itemIndex,
      view: reviewView ? 'review' : (startsWithIntro(data, itemIndex) ? 'intro' : 'item'),
      remainingText: () => spokenRemaining(this.countdown.remaining() || 0),
      notice: takeNotice(),
    });
  },

  update(st) {
    const r = runnerOf(st);
    if (this.countdown) this.countdown.sync(this.key(st), r.section_remaining_ms || 0, r.warning);
  },

  leave() {
    this.token = null;
    stopClock(this.countdown);
    this.countdown = null;
    if (!finishedByCandidate) {
      app.notice = this.last
        ? 'The time ran out, so Vigil submitted your assessment for you with every answer that was saved.'
        : 'The time for the previous section ran out, so Vigil finished it for you. Every answer that was saved is kept.';
    }
  },
};

// A one-off message for the next screen (a section that timed out, a restart).
function takeNotice() {
  const text = app.notice;
  app.notice = null;
  if (!text) return null;
  return h('div', { class: 'notice', role: 'note' }, h('p', {}, text));
}

// ---- The practice run --------------------------------------------------------------------------

export const practiceScreen = {
  key: () => 'practice',
  render() {
    setPracticeNote(true);
    setHeader({ title: 'Practice run', section: 'Nothing here is saved or marked' });
    const back = () => { app.local = null; app.pollSoon(); };
    this.countdown = headerCountdown('Practice time left', 'in the practice run', () => {
      announce('The practice time is up. In the real assessment, Vigil would now finish the section for you.');
    });
    this.countdown.sync('practice', PRACTICE_MINUTES * 60 * 1000, 'none');
    // A saver that keeps values in the page only: the practice run sends nothing.
    const saver = new Saver({ send: () => Promise.resolve() });
    renderSection(practiceSection, {
      save: (id, value, mode) => saver.set(id, value, mode),
      latest: (id) => saver.latest(id),
      flag: () => Promise.resolve(),
      navigate: () => {},
      finish: () => Promise.resolve(),
      flush: () => Promise.resolve(true),
      onFinished: back,
      practice: true,
    }, { index: 0, count: 0, item: 0, view: 'intro',
      remainingText: () => spokenRemaining(this.countdown.remaining() || 0) });
    const stop = button('Leave the practice run', back, 'link', { class: 'practice-leave' });
    document.getElementById('main').appendChild(h('p', {}, stop));
  },
  update() {},
  leave() {
    stopClock(this.countdown);
    this.countdown = null;
    setPracticeNote(false);
  },
};

// ---- Break ---------------------------------------------------------------------------------

// A scheduled break starts when the section before it ends; the section timer is paused. The
// candidate may come back early; when the break runs out the client starts the next section.
export const breakScreen = {
  key: (st) => `break:${runnerOf(st).section_index || 0}`,
  render(st) {
    const r = runnerOf(st);
    setHeader({ title: st.package && st.package.title, section: 'Break' });
    const slot = h('div', { class: 'error-slot' });
    this.countdown = headerCountdown('Break time left', 'of your break', () => app.pollSoon());
    this.countdown.sync(this.key(st), r.break_remaining_ms || 0, 'none');
    const next = nextSectionTitle(r);
    const back = button('I am ready: start the next section', () => busy(back, () => post('/api/break/end', {}), 'Starting…')
      .then(() => app.pollSoon(), (err) => showError(slot, err)), 'primary');
    mount('Break',
      h('h1', {}, 'Your break'),
      takeNotice(),
      slot,
      h('p', { class: 'lead' }, 'Your assessment timer is paused. Stretch, have a drink, rest your eyes.'),
      h('p', {}, 'The time left for your break is at the top of the page. When it ends, the next '
        + 'section starts by itself. You can come back earlier if you like.'),
      next ? h('p', {}, `Next: ${next}.`) : null,
      back);
  },
  update(st) {
    const r = runnerOf(st);
    if (this.countdown) this.countdown.sync(this.key(st), r.break_remaining_ms || 0, 'none');
  },
  leave() {
    stopClock(this.countdown);
    this.countdown = null;
  },
};

function nextSectionTitle(r) {
  const list = Array.isArray(r.sections) ? r.sections : [];
  const next = list[(r.section_index || 0) + 1];
  return next && next.title ? next.title : null;
}

// ---- Submitted: receipt and sync progress --------------------------------------------------------

export const submittedScreen = {
  key: () => 'submitted',
  render(st) {
    setHeader({ title: st.package && st.package.title, section: 'Submitted' });
    this.maxPending = 0;
    this.slot = h('div', { class: 'error-slot' });
    this.receipt = h('div', { class: 'receipt', role: 'status' });
    this.progress = h('progress', { id: 'sync-progress', class: 'progress', max: '100', value: '0',
      'aria-labelledby': 'sync-progress-label', 'aria-describedby': 'sync-progress-text' });
    this.text = h('p', { id: 'sync-progress-text', class: 'progress-note' });
    this.online = h('p', { class: 'sync-online' });
    const retry = button('Try sending now', () => busy(retry, () => post('/api/sync', {}), 'Trying…')
      .then(() => app.pollSoon(), (err) => showError(this.slot, err)), 'secondary');
    mount('Assessment submitted',
      h('h1', {}, 'Your assessment is submitted'),
      takeNotice(),
      this.slot,
      this.receipt,
      h('h2', {}, 'Sending your answers'),
      h('p', { id: 'sync-progress-label', class: 'progress-label' }, 'Sent so far'),
      this.progress,
      this.text,
      this.online,
      retry,
      h('h2', {}, 'What happens next'),
      h('p', {}, 'The assessment team checks every session. You and your endorsing manager will be '
        + 'told your result, with feedback on each area of the standards.'),
      h('p', {}, 'Please keep Vigil on this computer until your result arrives. Your receipt is kept here, '
        + 'and you can show it to anyone as proof that you submitted.'),
      h('p', {}, h('a', { href: '/result.html' }, 'See your result'),
        ' (when it has been released; it stays on this computer, so you can see it without the internet).'),
      h('h2', {}, 'Optional: help us check the assessment is fair'),
      h('p', {}, 'You can answer a few equalities questions (age, ethnic group, disability, sex). It is entirely '
        + 'optional and makes no difference to your result. Only anonymous group totals are reported; markers, '
        + 'proctors, your council and your employer never see your answers.'),
      h('p', {}, h('a', { href: '/equalities.html' }, 'Answer the equalities questions (optional)')));
    this.update(st);
  },

  update(st) {
    const sync = st.sync || {};
    const pending = (Number(sync.pending_records) || 0) + (Number(sync.pending_uploads) || 0);
    const bytes = Number(sync.pending_bytes) || 0;
    const received = Boolean(st.receipt);
    // The client reports what is left, not the total: the page measures progress against the
    // most it has seen waiting since this screen opened (in bytes when it knows them).
    this.maxPending = Math.max(this.maxPending || 0, pending);
    this.maxBytes = Math.max(this.maxBytes || 0, bytes);
    let percent = 0;
    if (this.maxBytes) percent = Math.floor(100 * (1 - bytes / this.maxBytes));
    else if (this.maxPending) percent = Math.floor(100 * (1 - pending / this.maxPending));
    if (pending === 0 && (received || this.maxPending > 0)) percent = 100;
    this.progress.value = percent;
    this.progress.textContent = `${percent}%`;
    this.progress.setAttribute('aria-valuetext', `${percent}% sent`);
    const text = pending === 0
      ? (received ? 'Everything has been sent.' : 'Everything is sent. Waiting for the assessment team to confirm.')
      : `${percent}% sent. ${pending} ${pending === 1 ? 'part' : 'parts'} (${formatBytes(bytes)}) still to send.`;
    if (this.text.textContent !== text) this.text.textContent = text;
    const onlineText = sync.online
      ? 'This computer is connected.'
      : 'This computer is not connected at the moment. Your answers are safe here. Vigil sends them by '
        + 'itself when a connection comes back: please start Vigil again when you are online if you close it.';
    if (this.online.textContent !== onlineText) this.online.textContent = onlineText;
    const receiptText = received
      ? 'The assessment team has received your assessment. Vigil has kept their signed receipt on this computer.'
      : 'Your answers are sealed and safe on this computer. They have not reached the assessment team yet.';
    if (this.receipt.dataset.text !== receiptText) {
      this.receipt.dataset.text = receiptText;
      replace(this.receipt, panel(received ? 'panel--done' : 'panel--waiting',
        h('p', { class: 'receipt__status' }, h('strong', {}, received ? 'Received' : 'Not received yet')),
        h('p', {}, receiptText),
        received && typeof st.receipt === 'object' ? receiptFacts(st.receipt) : null));
    }
  },
};

function receiptFacts(receipt) {
  const rows = [];
  const when = receipt.received_wall_ms;
  if (when) rows.push(h('dt', {}, 'Received'), h('dd', {}, new Date(when).toLocaleString('en-GB')));
  if (receipt.session_id) rows.push(h('dt', {}, 'Session'), h('dd', { class: 'mono' }, String(receipt.session_id)));
  return rows.length ? h('dl', { class: 'facts' }, rows) : null;
}
