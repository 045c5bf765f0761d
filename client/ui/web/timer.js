// The countdown the candidate sees. The client is the authority on time (it auto-advances and
// auto-submits); the page only counts down locally between polls of /api/state so the display
// moves every second, and re-bases on every poll.
//
// Warnings: at 5 minutes and at 1 minute left in a section (or on a break) the page announces
// the time once through a polite live region. The visible clock itself is never a live region,
// so a screen reader is not interrupted every second. A warning is raised by whichever comes
// first: the local count crossing the mark, or the client's state saying so; each is announced
// at most once per section.

const FIVE_MIN = 5 * 60 * 1000;
const ONE_MIN = 60 * 1000;

// "1 hr 12 min", "42 min", "4 min 05 s", "0 min 00 s". Minutes are rounded up above ten minutes
// so the clock never shows less time than is left.
export function formatRemaining(ms) {
  const t = Math.max(0, ms);
  if (t >= 10 * 60 * 1000) {
    let hours = Math.floor(t / 3600000);
    let minutes = Math.ceil((t - hours * 3600000) / 60000);
    if (minutes === 60) { hours += 1; minutes = 0; }
    if (hours === 0) return `${minutes} min`;
    return `${hours} hr ${minutes} min`;
  }
  const secondsTotal = Math.ceil(t / 1000);
  const minutes = Math.floor(secondsTotal / 60);
  const seconds = secondsTotal % 60;
  return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
}

// The same, in words for a screen reader or a sentence: "1 hour and 12 minutes".
export function spokenRemaining(ms) {
  const t = Math.max(0, ms);
  const minutesTotal = Math.ceil(t / 60000);
  const hours = Math.floor(minutesTotal / 60);
  const minutes = minutesTotal % 60;
  const parts = [];
  if (hours) parts.push(`${hours} ${hours === 1 ? 'hour' : 'hours'}`);
  if (minutes || !hours) parts.push(`${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`);
  return parts.join(' and ');
}

export class Countdown {
  // onTick(remainingMs) every second while running; onWarning(level, remainingMs) once per
  // level ('five_minutes' | 'one_minute') per key; onZero() once when the local count ends.
  constructor({ onTick, onWarning, onZero }) {
    this.onTick = onTick;
    this.onWarning = onWarning;
    this.onZero = onZero;
    this.key = null;
    this.deadline = null;
    this.announced = new Set();
    this.zeroFired = false;
    this.interval = null;
    this.last = null;
  }

  // Re-bases the count on the client's figure. `key` names what is being timed (a section or a
  // break); a new key resets the warnings. `serverWarning` is runner.warning from the state.
  sync(key, remainingMs, serverWarning) {
    if (key !== this.key) {
      this.key = key;
      this.announced = new Set();
      this.zeroFired = false;
      this.last = null;
    }
    this.deadline = performance.now() + Math.max(0, remainingMs);
    if (remainingMs > 0) this.zeroFired = false;
    if (serverWarning === 'five_minutes' || serverWarning === 'one_minute') {
      this.warn(serverWarning, remainingMs);
    }
    if (!this.interval) this.interval = setInterval(() => this.tick(), 500);
    this.tick();
  }

  remaining() {
    return this.deadline === null ? null : Math.max(0, this.deadline - performance.now());
  }

  warn(level, remainingMs) {
    // A one-minute warning implies the five-minute one has passed: never announce it late.
    if (level === 'one_minute') this.announced.add('five_minutes');
    if (this.announced.has(level)) return;
    this.announced.add(level);
    this.onWarning(level, remainingMs);
  }

  tick() {
    const r = this.remaining();
    if (r === null) return;
    const shown = Math.ceil(r / 1000);
    if (shown !== this.last) {
      this.last = shown;
      this.onTick(r);
    }
    if (r <= ONE_MIN && r > 0) this.warn('one_minute', r);
    else if (r <= FIVE_MIN && r > 0) this.warn('five_minutes', r);
    if (r <= 0 && !this.zeroFired) {
      this.zeroFired = true;
      this.onZero();
    }
  }

  stop() {
    clearInterval(this.interval);
    this.interval = null;
    this.deadline = null;
    this.key = null;
  }
}
