// Autosave: every change the candidate makes goes to the client with PUT /api/answers/{item},
// which answers only once the answer is durable on disk.
//
// Invariants (what the tests and the candidate rely on):
// 1. The page says "Saved" only when every change made so far has been acknowledged by a PUT
//    that returned success. Anything else is "Saving…" or "Not saved — retrying".
// 2. Choices (radio buttons, checkboxes) are sent at once.
// 3. Written text is sent DEBOUNCE_MS after the last keystroke, and never later than MAX_WAIT_MS
//    after the first keystroke not yet sent, so at most about one second of typing is ever held
//    only by the page, even while the candidate types without pausing.
// 4. At most one PUT per item is in flight, so saves of one item reach the client in order; the
//    newest value is sent when the one in flight returns. Values are never merged or dropped:
//    the newest value always supersedes the older ones.
// 5. A save that fails for a reason that may pass (no answer, busy, rate-limited, server error)
//    is retried with the newest value, backing off to RETRY_MAX_MS. The text stays in the page
//    all along. A save the client refuses for good (bad request, section closed) stops retrying,
//    shows as "failed" until the next section, and is reported through onRefused so the page
//    can explain.

export const DEBOUNCE_MS = 400;
export const MAX_WAIT_MS = 900;
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 5000;

// Status values reported to onStatus.
export const STATUS = Object.freeze({
  idle: 'idle', saving: 'saving', saved: 'saved', retrying: 'retrying', failed: 'failed',
});

// Worth retrying: no answer at all, rate-limited, or the client busy or failing (503 "busy", any
// 5xx: a full disk may be cleared). A 409 "conflict" such as a closed section is final.
function transient(err) {
  const s = err && typeof err.status === 'number' ? err.status : 0;
  return s === 0 || s === 429 || s >= 500;
}

export class Saver {
  // send(itemId, value, {keepalive}) -> Promise (rejects with an ApiError)
  // onStatus(status) is called whenever the overall status changes.
  // onRefused(itemId, error) is called when the client refuses a save for good.
  constructor({ send, onStatus, onRefused }) {
    this.send = send;
    this.onStatus = onStatus || (() => {});
    this.onRefused = onRefused || (() => {});
    this.entries = new Map();
    this.status = STATUS.idle;
    this.everSaved = false;
    this.waiters = [];
  }

  entry(itemId) {
    let e = this.entries.get(itemId);
    if (!e) {
      e = { id: itemId, value: undefined, version: 0, sent: 0, acked: 0, inFlight: false,
        queued: false, timer: null, firstDirty: null, failing: false, attempts: 0, refused: null };
      this.entries.set(itemId, e);
    }
    return e;
  }

  // Records the candidate's newest value for an item and schedules its save.
  // mode: 'now' for choices, 'typing' for written text (invariant 3).
  set(itemId, value, mode = 'now') {
    const e = this.entry(itemId);
    e.value = value;
    e.version += 1;
    e.refused = null;
    if (mode === 'typing') {
      const now = Date.now();
      if (e.firstDirty === null) e.firstDirty = now;
      const due = Math.min(now + DEBOUNCE_MS, e.firstDirty + MAX_WAIT_MS);
      clearTimeout(e.timer);
      e.timer = setTimeout(() => { e.timer = null; this.trySend(e); }, Math.max(0, due - now));
    } else {
      clearTimeout(e.timer);
      e.timer = null;
      this.trySend(e);
    }
    this.update();
  }

  // The newest value the page holds for an item (sent or not), or undefined.
  latest(itemId) {
    const e = this.entries.get(itemId);
    return e ? e.value : undefined;
  }

  // True while an item has changes the client has not acknowledged.
  dirty(itemId) {
    const e = this.entries.get(itemId);
    return Boolean(e && e.version > e.acked);
  }

  trySend(e) {
    if (e.version <= e.acked || e.refused) return;
    if (e.inFlight) { e.queued = true; return; }
    clearTimeout(e.timer);
    e.timer = null;
    clearTimeout(e.retryTimer);
    e.retryTimer = null;
    e.inFlight = true;
    e.queued = false;
    e.firstDirty = null;
    const version = e.version;
    e.sent = version;
    this.update();
    Promise.resolve()
      .then(() => this.send(e.id, e.value))
      .then(() => {
        e.inFlight = false;
        e.acked = Math.max(e.acked, version);
        e.failing = false;
        e.attempts = 0;
        this.everSaved = true;
        if (e.version > e.acked && (e.queued || e.timer === null)) this.trySend(e);
        this.update();
      }, (err) => {
        e.inFlight = false;
        if (!transient(err)) {
          e.refused = err;
          e.failing = false;
          this.update();
          this.onRefused(e.id, err);
          return;
        }
        e.failing = true;
        e.attempts += 1;
        const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (e.attempts - 1));
        e.retryTimer = setTimeout(() => { e.retryTimer = null; this.trySend(e); }, delay);
        this.update();
      });
  }

  computeStatus() {
    let dirty = false;
    let refused = false;
    for (const e of this.entries.values()) {
      if (e.failing) return STATUS.retrying;
      if (e.refused) refused = true;
      else if (e.version > e.acked) dirty = true;
    }
    if (dirty) return STATUS.saving;
    if (refused) return STATUS.failed;
    return this.everSaved ? STATUS.saved : STATUS.idle;
  }

  update() {
    const s = this.computeStatus();
    if (s !== this.status) {
      this.status = s;
      this.onStatus(s);
    }
    // Settled: nothing left that could still be saved (a refused save never will be).
    if (s === STATUS.saved || s === STATUS.idle || s === STATUS.failed) {
      const w = this.waiters.splice(0);
      w.forEach((resolve) => resolve(true));
    }
  }

  // Sends everything now. Resolves true once all is settled (acknowledged, or refused for good and
  // already reported), false if that has not happened within `ms` (the saves go on retrying in
  // the background).
  flush(ms = 8000) {
    for (const e of this.entries.values()) {
      if (e.version > e.acked && !e.refused) {
        if (e.failing) { e.attempts = 0; }
        this.trySend(e);
      }
    }
    const s = this.computeStatus();
    if (s === STATUS.saved || s === STATUS.idle || s === STATUS.failed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(false);
      }, ms);
      const done = (v) => { clearTimeout(timer); resolve(v); };
      this.waiters.push(done);
    });
  }

  // The page is going away: send what is unacknowledged with keepalive so the request can
  // outlive the page. Sending a value twice is harmless (the client keeps it as a revision).
  sendOnUnload() {
    for (const e of this.entries.values()) {
      if (e.version > e.acked && !e.refused) {
        Promise.resolve(this.send(e.id, e.value, { keepalive: true })).catch(() => {});
      }
    }
  }

  // A new section: forgets the items that are acknowledged or refused (the old section is closed,
  // so nothing of it can be saved any more).
  clearAcknowledged() {
    for (const [id, e] of this.entries) {
      if (e.version <= e.acked || e.refused) {
        clearTimeout(e.timer);
        clearTimeout(e.retryTimer);
        this.entries.delete(id);
      }
    }
  }
}
