// The screens before the assessment starts: enrol, download, system check, getting ready
// (practice run and unlocking), and the identity check.
import { h, uid, focusOn, replace } from './dom.js';
import { get, post } from './api.js';
import { app, mountTitled, button, busy, showError, panel, formatWhen, setHeader } from './core.js';

// A labelled text field with a hint and an inline error (GOV.UK pattern): the error text is
// part of the field's description, and the field is marked aria-invalid while it shows.
function textField({ label, hint, name, autocomplete = 'off', width = 'code' }) {
  const id = uid(name);
  const hintId = `${id}-hint`;
  const errId = `${id}-error`;
  const err = h('p', { id: errId, class: 'field__error', hidden: true });
  const input = h('input', { id, name, type: 'text', class: ['input', `input--${width}`],
    autocomplete, spellcheck: 'false', autocapitalize: 'characters',
    'aria-describedby': hint ? hintId : null });
  const wrap = h('div', { class: 'field' },
    h('label', { for: id, class: 'field__label' }, label),
    hint ? h('p', { id: hintId, class: 'field__hint' }, hint) : null,
    err, input);
  return {
    wrap, input, id,
    setError(message) {
      err.textContent = message ? `Error: ${message}` : '';
      err.hidden = !message;
      wrap.classList.toggle('field--error', Boolean(message));
      input.setAttribute('aria-invalid', message ? 'true' : 'false');
      const described = [hint ? hintId : null, message ? errId : null].filter(Boolean).join(' ');
      if (described) input.setAttribute('aria-describedby', described);
      else input.removeAttribute('aria-describedby');
    },
  };
}

// Runs a form action: clears old errors, calls fn, shows an error from the client next to the
// field (and in the summary at the top) when it fails.
async function submitForm(btn, slot, field, fn, waitLabel) {
  showError(slot, null);
  if (field) field.setError(null);
  try {
    await busy(btn, fn, waitLabel);
    return true;
  } catch (err) {
    if (field) field.setError(err.message);
    showError(slot, err, field ? field.id : null);
    return false;
  }
}

// A one-field form for a code (enrolment, start code): Enter submits it; an empty field is
// explained without asking the client; on success the page polls the state to move on.
function codeForm({ field, slot, label, kind, empty, wait, send }) {
  const go = h('button', { type: 'submit', class: ['button', `button--${kind}`] }, label);
  return h('form', { class: 'form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    const value = field.input.value.trim();
    if (!value) {
      field.setError(empty);
      showError(slot, new Error(empty), field.id);
      return;
    }
    if (await submitForm(go, slot, field, () => send(value), wait)) app.refresh();
  } }, field.wrap, go);
}

// ---- Enrol ------------------------------------------------------------------------------------

export const enrolScreen = {
  render() {
    setHeader({});
    const slot = h('div', { class: 'error-slot' });
    const code = textField({ label: 'Enrolment code', name: 'enrol-code',
      hint: 'Your council sent you this code by email or letter. It looks like ACDE-FGHJ-KMNP-QRTU. '
        + 'Capital letters or small letters both work.' });
    const form = codeForm({ field: code, slot, label: 'Continue', kind: 'primary',
      empty: 'Enter your enrolment code', wait: 'Setting up…',
      send: (value) => post('/api/enrol', { code: value }) });
    mountTitled('Set up Vigil on this computer',
      slot,
      h('p', { class: 'lead' }, 'This links this computer to you, so your assessment can be sent to it. '
        + 'You only do this once, and you need an internet connection for it.'),
      form);
  },
};

// ---- Download ---------------------------------------------------------------------------------

export const downloadScreen = {
  render() {
    setHeader({});
    const slot = h('div', { class: 'error-slot' });
    const progress = h('p', { class: 'progress-note', role: 'status' });
    const go = button('Download my assessment', async () => {
      progress.textContent = 'Downloading. This usually takes less than a minute.';
      const ok = await submitForm(go, slot, null, () => post('/api/download', {}), 'Downloading…');
      progress.textContent = ok ? 'Downloaded.' : '';
      if (ok) await app.refresh();
    }, 'primary');
    mountTitled('Download your assessment',
      slot,
      h('p', { class: 'lead' }, 'Vigil will now download your assessment and keep it locked on this '
        + 'computer until your start time. Nobody can open it before then, including you.'),
      h('p', {}, 'You need an internet connection for this step. On the day itself, you can sit the '
        + 'assessment without one.'),
      go, progress);
  },
};

// ---- System check -----------------------------------------------------------------------------

function checkItem(c) {
  const labelId = uid('check');
  return h('li', { class: ['check', c.ok ? 'check--ok' : 'check--problem'], 'aria-labelledby': labelId },
    h('p', { class: 'check__label', id: labelId },
      h('span', { class: 'check__result' }, c.ok ? 'OK' : 'Needs attention'),
      h('span', { class: 'visually-hidden' }, ': '),
      c.label || c.id),
    c.advice ? h('p', { class: 'check__advice' }, c.advice) : null);
}

export const checkScreen = {
  render() {
    setHeader({ title: app.state && app.state.package && app.state.package.title });
    const slot = h('div', { class: 'error-slot' });
    const results = h('div', { class: 'check-results', 'aria-live': 'polite', 'aria-busy': 'true' },
      h('p', {}, 'Checking your computer…'));
    const again = button('Check again', () => run(again), 'secondary');
    const next = button('Continue', () => {
      app.checkDone = true;
      app.local = null;
      app.refresh();
    }, 'primary');

    async function run(btn) {
      showError(slot, null);
      results.setAttribute('aria-busy', 'true');
      replace(results, h('p', {}, 'Checking your computer…'));
      try {
        const data = btn ? await busy(btn, () => get('/api/check'), 'Checking…') : await get('/api/check');
        const checks = Array.isArray(data.checks) ? data.checks : [];
        const problems = checks.filter((c) => !c.ok).length;
        const summary = problems === 0
          ? 'Everything we checked is working.'
          : `${problems === 1 ? 'One thing needs' : `${problems} things need`} your attention. `
            + 'The advice below says what to do. You can carry on, but please sort these out before '
            + 'the day if you can.';
        replace(results,
          h('p', { class: ['check-summary', problems ? 'check-summary--problem' : 'check-summary--ok'] }, summary),
          h('ul', { class: 'checks' }, checks.map(checkItem)));
      } catch (err) {
        replace(results);
        showError(slot, err);
      } finally {
        results.setAttribute('aria-busy', 'false');
      }
    }

    mountTitled('Check your computer',
      slot,
      h('p', { class: 'lead' }, 'Vigil checks that this computer is ready: free disk space, the clock, '
        + 'the safe storage of your answers, and the camera.'),
      results,
      h('div', { class: 'button-row' }, next, again));
    run(null);
  },
};

// ---- Getting ready: practice run and unlock ----------------------------------------------------

function adjustmentsText(acc) {
  if (!acc) return [];
  const out = [];
  if (acc.extra_time_percent) out.push(`${acc.extra_time_percent}% extra time in every section`);
  if (acc.extra_break_minutes) out.push(`${acc.extra_break_minutes} extra minutes on each break`);
  if (acc.knowledge_only) out.push('you take the knowledge section only');
  return out;
}

export const readyScreen = {
  render() {
    const st = app.state || {};
    const pkg = st.package || {};
    setHeader({ title: pkg.title });
    const slot = h('div', { class: 'error-slot' });
    const adjustments = adjustmentsText(st.accommodations || pkg.accommodations);

    const practice = button('Start the practice run', () => {
      app.local = { screen: 'practice', base: st.screen };
      app.refresh();
    }, 'secondary');
    const recheck = button('Check my computer again', () => {
      app.local = { screen: 'check', base: st.screen };
      app.refresh();
    }, 'secondary');

    const start = button('Start my assessment', async () => {
      showError(slot, null);
      try {
        await busy(start, () => post('/api/unlock', {}), 'Starting…');
      } catch (err) {
        showError(slot, err);
        // Offline: point to the start code, which is the way on without a connection.
        if (err.status === 0 || err.status === 503) {
          slot.firstChild.appendChild(h('p', {}, h('a', { href: '#start-code-heading', onclick: (e) => {
            e.preventDefault();
            focusOn(codeHeading);
          } }, 'Use a start code from the helpline instead')));
        }
        return;
      }
      await app.refresh();
    }, 'primary');

    const codeHeading = h('h2', { id: 'start-code-heading' }, 'No internet connection? Use a start code');
    const codeSlot = h('div', { class: 'error-slot' });
    const code = textField({ label: 'Start code', name: 'start-code',
      hint: 'Type the code exactly as it is read to you. Spaces and dashes do not matter.' });
    const startCode = codeForm({ field: code, slot: codeSlot, label: 'Start with this code',
      kind: 'secondary', empty: 'Enter the start code the helpline read to you', wait: 'Checking…',
      send: (value) => post('/api/unlock', { start_code: value }) });

    const startAt = pkg.scheduled_start_ms || pkg.scheduled_start;
    const when = startAt ? formatWhen(startAt) : null;
    mountTitled('Before your assessment',
      slot,
      panel('summary-panel',
        h('dl', { class: 'facts' },
          pkg.title ? [h('dt', {}, 'Assessment'), h('dd', {}, pkg.title)] : null,
          when ? [h('dt', {}, 'Start time'), h('dd', {}, when)] : null,
          pkg.minutes ? [h('dt', {}, 'Time allowed'), h('dd', {}, `${pkg.minutes} minutes, in sections, with a break`)] : null,
          adjustments.length ? [h('dt', {}, 'Your adjustments'), h('dd', {}, adjustments.join('; '))] : null)),
      h('h2', {}, 'Try a practice run'),
      h('p', {}, 'A few example questions, so you can see how the questions, the timer, flagging and '
        + 'the review page work. Nothing in the practice run is saved or marked, and you can do it as '
        + 'often as you like.'),
      h('div', { class: 'button-row' }, practice, recheck),
      h('h2', {}, 'Start your assessment'),
      h('p', {}, when ? `You can start from ${when}. ` : '',
        'When you press the button, Vigil unlocks your assessment over the internet. Next you will '
          + 'take two photos to confirm who you are, and then your first section begins.'),
      start,
      codeHeading,
      h('p', {}, 'If this computer cannot get online on the day, that is fine: phone the assessment '
        + 'helpline on the number in your invitation. After checking who you are, they will read you '
        + 'a start code. It works only for you, on this computer, from your start time.'),
      codeSlot,
      startCode);
  },
};

// ---- Identity check ---------------------------------------------------------------------------

// camera: shared by both steps; `unavailable` is set when the client says it has no camera
// (503), and then the photos are not needed: a person checks the candidate's identity instead.
function photoStep({ heading, intro, kind, alt, camera, onTaken }) {
  const slot = h('div', { class: 'error-slot' });
  const frame = h('div', { class: 'photo__frame' }, h('p', { class: 'photo__empty' }, 'No photo yet'));
  const status = h('p', { class: 'photo__status', role: 'status' });
  const step = { taken: false, section: null };
  const take = button('Take photo', async () => {
    showError(slot, null);
    try {
      const data = await busy(take, () => post('/api/camera/capture', { kind }), 'Taking photo…');
      const img = h('img', { class: 'photo__img', src: data.preview, alt });
      replace(frame, img);
      step.taken = true;
      onTaken();
      take.textContent = 'Take it again';
      status.textContent = 'Photo taken. If you are happy with it, go on to the next step.';
    } catch (err) {
      status.textContent = '';
      if (err.status === 503) camera.unavailable = true;
      showError(slot, err);
    }
  }, 'secondary');
  const headingId = uid('photo');
  step.section = h('section', { class: 'photo', 'aria-labelledby': headingId },
    h('h2', { id: headingId }, heading),
    paragraphsOf(intro), slot, frame, take, status);
  step.focusButton = () => take.focus();
  return step;
}

function paragraphsOf(list) {
  return list.map((t) => h('p', {}, t));
}

export const identityScreen = {
  render() {
    const st = app.state || {};
    setHeader({ title: st.package && st.package.title });
    const slot = h('div', { class: 'error-slot' });
    // Opening this step is recorded by the client (the identity phase begins).
    if (st.runner && st.runner.phase === 'not_started') {
      post('/api/identity', {}).catch((err) => showError(slot, err));
    }
    const camera = { unavailable: false };
    // A photo taken answers any earlier "take the photo first" message.
    const onTaken = () => showError(slot, null);
    const face = photoStep({ camera, onTaken, heading: 'Step 1: a photo of your face', kind: 'face',
      alt: 'The photo of your face just taken',
      intro: ['Look at the camera with your face in good light and nothing covering it. Glasses are fine.'] });
    const id = photoStep({ camera, onTaken, heading: 'Step 2: a photo of your photo ID', kind: 'id',
      alt: 'The photo of your ID just taken',
      intro: ['Hold your passport, driving licence or other photo ID up to the camera, photo side '
        + 'towards it, so that your photo and name can be read.'] });

    const consentName = uid('consent');
    const consentErr = h('p', { class: 'field__error', id: `${consentName}-error`, hidden: true });
    const option = (value, label, hint) => {
      const inputId = `${consentName}-${value}`;
      return h('div', { class: 'choice' },
        h('input', { type: 'radio', name: consentName, id: inputId, value, class: 'choice__input',
          'aria-describedby': `${inputId}-hint` }),
        h('label', { for: inputId, class: 'choice__label' }, label),
        h('p', { id: `${inputId}-hint`, class: 'choice__hint' }, hint));
    };
    const consent = h('fieldset', { class: 'fieldset', id: consentName },
      h('legend', { class: 'fieldset__legend' }, 'Step 3: how should your photos be checked?'),
      h('p', { class: 'fieldset__hint' }, 'Both ways are equally valid. Your choice does not affect your '
        + 'result or how long the assessment takes.'),
      consentErr,
      option('automated', 'Automatically, with a person reviewing anything unclear',
        'Vigil compares the camera during the assessment with your face photo. A person checks your face photo against your ID. '
          + 'A member of the assessment team looks at anything it is unsure about.'),
      option('human', 'By a person instead',
        'Nothing is compared automatically. A member of the assessment team looks at your photos '
          + 'and at any moments the camera picked up.'));

    const go = button('Confirm and continue', async () => {
      showError(slot, null);
      consentErr.hidden = true;
      const chosen = consent.querySelector('input:checked');
      if (!camera.unavailable && (!face.taken || !id.taken)) {
        showError(slot, new Error(`Take ${!face.taken ? 'the photo of your face' : 'the photo of your ID'} first.`));
        return;
      }
      if (camera.unavailable && chosen && chosen.value === 'automated') {
        showError(slot, new Error('Without a camera, your identity is checked by a person. Choose "By a person instead".'),
          `${consentName}-human`);
        return;
      }
      if (!chosen) {
        consentErr.textContent = 'Error: Choose how your photos should be checked';
        consentErr.hidden = false;
        showError(slot, new Error('Choose how your photos should be checked'), `${consentName}-automated`);
        return;
      }
      try {
        await busy(go, () => post('/api/identity', { consent: chosen.value }), 'Saving…');
        await app.refresh();
      } catch (err) {
        showError(slot, err);
      }
    }, 'primary');

    mountTitled('Confirm who you are',
      slot,
      h('p', { class: 'lead' }, 'Before the first section, Vigil takes two photos: one of your face '
        + 'and one of your photo ID. They are locked so that only the assessment team can open them.'),
      face.section,
      id.section,
      consent,
      h('p', {}, 'When you continue, your first section starts and its timer begins.'),
      go);
  },
};
