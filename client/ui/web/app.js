// Vigil's candidate UI: the entry point. It polls the client's state (GET /api/state), draws the
// screen the state names, reports focus, full-screen and visibility changes to the journal, and
// keeps the header up to date. The client is the authority on where the candidate is; the page
// only adds screens of its own for things that change nothing in the client (the practice run,
// the system check again, moving on from the check).
//
// Invariants:
// 1. A screen is redrawn (and focus moved to its heading) only when its key changes, never on an
//    ordinary poll, so polling never moves the candidate's focus or loses what they are typing.
// 2. The state is polled at least every POLL_MS while the page is open, and at once after any
//    action that moves the candidate on.
// 3. Journal events (POST /api/events) are reported only while a sitting is under way, and each
//    change is reported once (no repeats of the same event in a row).
import { get, post } from './api.js';
import { h } from './dom.js';
import { app, mount, mountTitled, createSaver, showSaveStatus, setHeader, announce } from './core.js';
import { enrolScreen, downloadScreen, checkScreen, readyScreen, identityScreen } from './screens-setup.js';
import { sectionScreen, practiceScreen, breakScreen, submittedScreen } from './screens-exam.js';

const POLL_MS = 3000;
const FAST_POLL_MS = 1000;

const screens = {
  enrol: enrolScreen,
  download: downloadScreen,
  check: checkScreen,
  ready: readyScreen,
  practice: practiceScreen,
  identity: identityScreen,
  section: sectionScreen,
  break: breakScreen,
  submitted: submittedScreen,
};

// A sitting is under way from unlocking (the client has a runner) until submission.
const sitting = (st) => Boolean(st && st.runner) && st.runner.phase !== 'submitted';

let currentName = null;
let currentKey = null;
let pollTimer = null;
let fastUntil = 0;
let failures = 0;
let firstState = true;

// The screen to show: the client's, unless the page has one of its own on top of it (the practice
// run, the system check again). The page's own screen lasts only while the client stays on the
// screen it was opened from.
function screenName(st) {
  if (app.local && app.local.base !== st.screen) app.local = null;
  let name = app.local ? app.local.screen : st.screen;
  // The client has no step for "system check done": once the candidate has moved on from the
  // check in this window, its screen is the getting-ready one.
  if (name === 'check' && !app.local && app.checkDone) name = 'ready';
  // Unlocked but not started: the next step is the identity check.
  if (name === 'ready' && !app.local && st.package && st.package.unlocked) name = 'identity';
  // The final review is the last section's own review page (the client's "review" phase, where
  // the section's time still runs and its questions can still be changed).
  if (name === 'review') name = 'section';
  return screens[name] ? name : 'unknown';
}

function route(st) {
  const name = screenName(st);
  if (name === 'unknown') {
    showUnknown(st.screen);
    return;
  }
  const screen = screens[name];
  const key = `${name}/${screen.key ? screen.key(st) : ''}`;
  if (key !== currentKey) {
    const old = currentName && screens[currentName];
    if (old && old.leave) old.leave();
    currentName = name;
    currentKey = key;
    screen.render(st);
  } else if (screen.update) {
    screen.update(st);
  }
}

function showUnknown(name) {
  if (currentKey === `unknown/${name}`) return;
  const old = currentName && screens[currentName];
  if (old && old.leave) old.leave();
  currentName = null;
  currentKey = `unknown/${name}`;
  mountTitled('Please wait',
    h('p', {}, 'Vigil is getting the next step ready. If this page does not change within a minute, '
      + 'close this window and start Vigil again. Your saved answers are safe.'));
}

// ---- Polling ---------------------------------------------------------------------------------

async function poll() {
  clearTimeout(pollTimer);
  pollTimer = null;
  try {
    const st = await get('/api/state');
    failures = 0;
    setConnection(null);
    app.state = st;
    if (firstState) {
      firstState = false;
      const r = st.runner || {};
      if (r.interruptions > 0 && sitting(st)) {
        app.notice = 'Welcome back. Vigil was closed or this computer restarted. Every answer that '
          + 'said Saved is here, and you are back where you were. The time you were away has been recorded.';
      }
    }
    route(st);
  } catch (err) {
    failures += 1;
    // One missed poll is not worth worrying anyone about; two in a row are.
    if (failures >= 2 || err.status === 403) setConnection(err.message);
    if (!app.state) {
      mount('Cannot reach Vigil', h('h1', {}, 'Vigil is not answering'),
        h('p', {}, err.message));
      currentKey = null;
    }
  } finally {
    const ms = Date.now() < fastUntil ? FAST_POLL_MS : POLL_MS;
    pollTimer = setTimeout(poll, ms);
  }
}

// Poll now, and quickly for a few seconds (a step that moves the candidate on, a timer at zero).
app.pollSoon = () => {
  fastUntil = Date.now() + 8000;
  clearTimeout(pollTimer);
  pollTimer = setTimeout(poll, 0);
};
app.refresh = () => { app.pollSoon(); };

function setConnection(message) {
  const el = document.getElementById('connection');
  if (!message) {
    if (!el.hidden) { el.hidden = true; el.textContent = ''; }
    return;
  }
  if (el.textContent !== message) el.textContent = message;
  el.hidden = false;
}

// ---- Journal events --------------------------------------------------------------------------

let lastReported = {};
function report(kind, type) {
  const st = app.state;
  if (!sitting(st) || app.local) return;
  if (lastReported[kind] === type) return;
  lastReported[kind] = type;
  // Best effort with one retry: these are for the reviewers' timeline, never a reason to bother
  // the candidate.
  post('/api/events', { type }).catch(() => setTimeout(() => post('/api/events', { type }).catch(() => {}), 2000));
}

function watchEvents() {
  window.addEventListener('blur', () => report('focus', 'focus_lost'));
  window.addEventListener('focus', () => report('focus', 'focus_returned'));
  document.addEventListener('visibilitychange', () =>
    report('visibility', document.visibilityState === 'hidden' ? 'page_hidden' : 'page_visible'));
  document.addEventListener('fullscreenchange', () => {
    const on = Boolean(document.fullscreenElement);
    report('fullscreen', on ? 'fullscreen_entered' : 'fullscreen_left');
    updateFullscreenButton();
  });
  // Anything not yet acknowledged gets one last try as the window closes.
  window.addEventListener('pagehide', () => { if (app.saver) app.saver.sendOnUnload(); });
  window.addEventListener('beforeunload', (e) => {
    if (app.saver && (app.saver.status === 'saving' || app.saver.status === 'retrying')) {
      app.saver.sendOnUnload();
      e.preventDefault();
      e.returnValue = '';
    }
  });
}

// ---- Header tools ----------------------------------------------------------------------------

function updateFullscreenButton() {
  const b = document.getElementById('hdr-fullscreen');
  if (!document.fullscreenEnabled) { b.hidden = true; return; }
  b.hidden = false;
  b.textContent = document.fullscreenElement ? 'Leave full screen' : 'Full screen';
}

function headerTools() {
  const fs = document.getElementById('hdr-fullscreen');
  fs.addEventListener('click', () => {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else document.documentElement.requestFullscreen().catch(() => {
      announce('This window cannot switch to full screen. You can carry on as you are.');
    });
  });
  updateFullscreenButton();

  // Some candidates find a ticking clock stressful: it can be hidden. The 5 and 1 minute
  // warnings are still given.
  const toggle = document.getElementById('hdr-clock-toggle');
  toggle.addEventListener('click', () => {
    const clock = document.getElementById('hdr-clock');
    const hide = !clock.classList.contains('clock--hidden');
    clock.classList.toggle('clock--hidden', hide);
    toggle.setAttribute('aria-pressed', hide ? 'true' : 'false');
    toggle.textContent = hide ? 'Show time' : 'Hide time';
  });
}

// ---- Start -----------------------------------------------------------------------------------

function start() {
  createSaver((itemId, err) => {
    // The client refused a save for good (the section closed, say). Tell the candidate plainly.
    const el = document.getElementById('save-problem');
    el.textContent = `An answer could not be saved. ${err.message}`;
    el.hidden = false;
  });
  showSaveStatus('idle');
  setHeader({});
  headerTools();
  watchEvents();
  poll();
}

start();
