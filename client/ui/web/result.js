// The candidate's result (GET /api/result): each sitting they submitted in its state
// (docs/RESULTS.md "Outcome states"): a released result with its outcome, stages, feedback per KSS
// area and next steps; or "Withheld: under review", "Void following a review: <the decision's
// public reason>", "Withheld: identity not confirmed: <public reason>" or "Not yet released", each
// with what it means. The client fetches it when the server is reachable and otherwise shows the
// copy kept on this computer. The state's words come with the body (state_label, from
// shared/results/outcome.hpp); the explanations are here. Text only through textContent: nothing
// from the server is parsed as HTML.
//
// Appeals (issue 16 part 4, docs/RESULTS.md "Appeals"): a void or withheld sitting whose decision
// may still be appealed offers a form; the appeal is kept on this computer at once (POST
// /api/appeal) and sent whenever it is online. Each sitting then says "Appeal sent" (kept here,
// waiting for a connection), "Appeal received" (the programme has it) or "Appeal decided"
// (upheld: the decision stands; overturned: the result is released), or "Appeal not accepted"
// with the programme's reason.
'use strict';

const STAGES = { knowledge: 'Knowledge assessment', scenario: 'Scenario assessment', written: 'Written assessment' };
const STATUS = {
  met: 'Met', not_met: 'Not met', exempt: 'Exempt', awaiting_marking: 'Awaiting marking', not_assessed: 'Not part of this assessment',
};
const OUTCOME = { met: 'Met', not_met: 'Not met', incomplete: 'Not complete yet' };

function el(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function table(caption, headings, rows) {
  const t = el('table', undefined, { class: 'result-table' });
  t.append(el('caption', caption));
  const head = el('thead');
  const hr = el('tr');
  for (const h of headings) hr.append(el('th', h, { scope: 'col' }));
  head.append(hr);
  const body = el('tbody');
  for (const r of rows) {
    const tr = el('tr');
    tr.append(el('th', r[0], { scope: 'row' }));
    for (const cell of r.slice(1)) tr.append(el('td', cell));
    body.append(tr);
  }
  t.append(head, body);
  return t;
}

// What each state means for the candidate, beside its words (state_label).
const MEANING = {
  under_review: 'Your result is held back until the checks on your sitting are finished: a person checks the identity '
    + 'photos of every sitting, and proctors look more closely at some. This is not a decision about you. Your result '
    + 'will be shown here once the checks are finished and the results of your window are released.',
  void_after_review: 'Two proctors reviewed your sitting and decided that its result cannot stand. No result or '
    + 'certificate will be issued for this sitting unless an appeal overturns the decision. Your endorsing manager can see '
    + 'this decision and its reason.',
  withheld_identity: 'Two proctors compared the photos taken at the start of your sitting with the name you were endorsed '
    + 'under and could not confirm that they show you, so your result is withheld. Your endorsing manager can see this '
    + 'decision and its reason.',
  not_released: 'Results are released for everyone in an assessment window at once; your council will tell you when.',
};
const DECIDED = ['void_after_review', 'withheld_identity'];
const RELEASED = ['released', 'released_after_appeal'];

// Dates as the candidate reads them (their computer's time zone), and the appeal period's end.
function day(ms) {
  return new Date(ms).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' });
}
function lastDay(untilMs) {
  // appeal_until_wall_ms is the first late instant (midnight UTC): the day before it is the last.
  return new Date(untilMs - 1).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

// The appeal of a sitting, in its state, or the form to make one.
function renderAppeal(sitting, section, now) {
  const a = sitting.appeal;
  const id = `appeal-${sitting.sitting_id}`;
  const box = el('div', undefined, { class: 'appeal', 'data-appeal': a ? a.state : 'none' });
  if (a) {
    const panel = el('div', undefined, { class: `panel ${a.state === 'refused' ? 'panel--stopped' : a.state === 'decided' ? 'panel--done' : 'panel--waiting'}` });
    panel.append(el('h3', a.label, { id }));
    if (a.state === 'sent') {
      panel.append(el('p', 'Your appeal is kept on this computer and goes to the programme as soon as this computer is '
        + 'online: you need do nothing else. It counts from when the programme receives it'
        + (sitting.appeal_until_wall_ms ? `, so connect to the internet by the end of ${lastDay(sitting.appeal_until_wall_ms)} (UTC).` : '.')));
    } else if (a.state === 'received') {
      panel.append(el('p', `The programme received your appeal${a.lodged_wall_ms ? ' on ' + day(a.lodged_wall_ms) : ''}. A reviewer who `
        + 'took no part in the decision looks at your reason and the evidence, and a second person must agree with the outcome. '
        + 'The outcome will be shown here.'));
    } else if (a.state === 'decided') {
      panel.append(el('p', a.outcome === 'overturned'
        ? `Your appeal was decided on ${day(a.decided_wall_ms)}: the decision was overturned and your result is released.`
        : `Your appeal was decided on ${day(a.decided_wall_ms)}: the decision stands. This outcome is final.`));
      if (a.public_reason) panel.append(el('p', `The reviewers' reason: ${a.public_reason}`));
    } else if (a.state === 'refused') {
      panel.append(el('p', `The programme did not accept your appeal: ${a.message}`));
    }
    if (a.reason && a.state !== 'decided') panel.append(el('p', `Your reason: ${a.reason}`, { class: 'appeal__reason' }));
    box.append(panel);
    if (a.state !== 'refused') { section.append(box); return; }
  }
  if (!DECIDED.includes(sitting.state) || !sitting.appeal_until_wall_ms) { if (a) section.append(box); return; }
  if (now >= sitting.appeal_until_wall_ms) {
    box.append(el('p', `The period for appealing this decision ended at the end of ${lastDay(sitting.appeal_until_wall_ms)} (UTC).`));
    section.append(box);
    return;
  }
  // The form: the candidate's reason, sent as soon as this computer is online.
  const form = el('form', undefined, { class: 'appeal-form', novalidate: '' });
  const field = `appeal-reason-${sitting.sitting_id}`;
  const hint = `${field}-hint`;
  const error = el('p', undefined, { class: 'field__error', id: `${field}-error`, hidden: '' });
  const text = el('textarea', undefined, { id: field, name: 'reason', class: 'textarea', rows: '6', maxlength: '2000',
    'aria-describedby': hint });
  form.append(el('h3', 'Ask for a review of this decision (appeal)', { id }),
    el('p', `You can appeal until the end of ${lastDay(sitting.appeal_until_wall_ms)} (UTC). Say in your own words why you `
      + 'think the decision is wrong. A reviewer who took no part in the decision looks at your reason and the evidence, '
      + 'and a second person must agree. If the decision is overturned your result is released, with your certificate if '
      + 'you met the standard; if it stands, this page will say so, with the reason.'));
  const wrap = el('div', undefined, { class: 'field' });
  wrap.append(el('label', 'Why you think the decision is wrong', { for: field, class: 'field__label' }),
    el('p', 'Up to 2,000 characters. Your appeal is kept on this computer and sent as soon as it is online.', { id: hint, class: 'field__hint' }),
    error, text);
  const send = el('button', 'Send appeal', { type: 'submit', class: 'button button--primary' });
  form.append(wrap, send);
  form.setAttribute('aria-labelledby', id);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    wrap.classList.remove('field--error');
    text.removeAttribute('aria-invalid');
    send.setAttribute('aria-disabled', 'true');
    try {
      const r = await fetch('/api/appeal', { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ sitting_id: sitting.sitting_id, reason: text.value }) });
      const body = await r.json();
      if (!r.ok) throw new Error((body.error && body.error.message) || `error ${r.status}`);
      await load(`Appeal sent for assessment ${sitting.assessment_id}.`);
    } catch (e) {
      error.textContent = `Error: ${e.message}`;
      error.hidden = false;
      wrap.classList.add('field--error');
      text.setAttribute('aria-invalid', 'true');
      text.setAttribute('aria-describedby', `${error.id} ${hint}`);
      send.removeAttribute('aria-disabled');
      text.focus();
    }
  });
  box.append(form);
  section.append(box);
}

// A sitting without a released result: its state, the public reason of a decision, what it means.
function renderState(sitting, list, now) {
  const id = `h-${sitting.sitting_id}`;
  const section = el('section', undefined, { 'aria-labelledby': id, class: 'result-state', 'data-state': sitting.state });
  section.append(el('h2', `Assessment ${sitting.assessment_id}`, { id }));
  const state = el('p', undefined, { class: `panel ${DECIDED.includes(sitting.state) ? 'panel--stopped' : 'panel--waiting'}` });
  state.append(el('strong', sitting.state_label || sitting.state));
  if (DECIDED.includes(sitting.state) && sitting.public_reason) state.append(`: ${sitting.public_reason}`);
  section.append(state, el('p', MEANING[sitting.state] || ''));
  renderAppeal(sitting, section, now);
  list.append(section);
}

function render(result, list, sitting) {
  const rep = result.report;
  const section = el('section', undefined, { 'aria-labelledby': `h-${result.sitting_id}`, 'data-state': sitting ? sitting.state : 'released' });
  section.append(el('h2', `Assessment ${rep.assessment_id}`, { id: `h-${result.sitting_id}` }));
  if (sitting && sitting.state === 'released_after_appeal') {
    const after = el('div', undefined, { class: 'panel panel--done' });
    after.append(el('p', undefined));
    after.firstChild.append(el('strong', sitting.state_label || 'Released after an appeal'));
    const a = sitting.appeal;
    if (a && a.state === 'decided') {
      after.append(el('p', `Your appeal was decided on ${day(a.decided_wall_ms)}: the decision was overturned and your result is released.`));
      if (a.public_reason) after.append(el('p', `The reviewers' reason: ${a.public_reason}`));
    }
    section.append(after);
  }
  const outcome = el('p', undefined, { class: 'panel panel--done' });
  outcome.append('Outcome: ', el('strong', OUTCOME[rep.outcome] || rep.outcome),
    ` (overall ${rep.overall.percent}%, pass mark ${rep.overall_threshold}%)`);
  section.append(outcome);
  section.append(table('Your result in each stage', ['Stage', 'Result', 'Score', 'Pass mark'], rep.stages.map((s) => [
    STAGES[s.stage] || s.stage,
    STATUS[s.status] || s.status,
    s.status === 'met' || s.status === 'not_met' ? `${s.percent}%` : (s.exempt_reason || '–'),
    `${s.threshold}%`,
  ])));
  section.append(table('Feedback for each KSS area', ['KSS area', 'Score', 'Feedback'], rep.areas.map((a) => [
    a.kss, `${a.percent}%`, a.at_standard ? 'At the standard' : 'An area to develop',
  ])));
  section.append(el('h3', 'Next steps'), el('p', result.next_steps));
  if (result.certificate) {
    section.append(el('p', `Your signed certificate (id ${result.certificate.credential_id}) is kept on this computer. `
      + 'Save a copy with: vigil-client result --save-certificate certificate.json'));
  }
  list.append(section);
}

async function load(announce) {
  const status = document.getElementById('result-status');
  const list = document.getElementById('result-list');
  const help = document.getElementById('appeal-help');
  try {
    const r = await fetch('/api/result', { headers: { Accept: 'application/json' } });
    const body = await r.json();
    if (!r.ok) throw new Error((body.error && body.error.message) || `error ${r.status}`);
    list.replaceChildren();
    const sittings = body.sittings || [];
    if (sittings.length === 0) {
      status.textContent = body.offline
        ? 'No result is kept on this computer yet, and the assessment server cannot be reached. Try again when you are online.'
        : 'No result has been released to you yet. Your council will tell you when results are out.';
      return;
    }
    const released = body.results.length > 0;
    if (body.offline) {
      status.textContent = 'The assessment server cannot be reached: this is what was kept on this computer when it was last online.';
    } else {
      status.textContent = released ? 'Your result, as released.' : 'No result has been released to you yet.';
    }
    const now = body.now_wall_ms || Date.now();
    for (const sitting of sittings) {
      const result = body.results.find((r) => r.sitting_id === sitting.sitting_id);
      if (RELEASED.includes(sitting.state) && result) render(result, list, sitting);
      else renderState(sitting, list, now);
    }
    // How appeals work, beside any sitting that has one or may have one.
    if (help) help.hidden = !sittings.some((s) => s.appeal || s.appeal_until_wall_ms);
    if (announce) status.textContent = `${announce} ${status.textContent}`;
  } catch (e) {
    status.textContent = `Your result could not be shown: ${e.message}`;
  }
}

document.addEventListener('DOMContentLoaded', () => load());
