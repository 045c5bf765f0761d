// The candidate's result (GET /api/result): each sitting they submitted in its state
// (docs/RESULTS.md "Outcome states"): a released result with its outcome, stages, feedback per KSS
// area and next steps; or "Withheld: under review", "Void following a review: <the decision's
// public reason>", "Withheld: identity not confirmed: <public reason>" or "Not yet released", each
// with what it means. The client fetches it when the server is reachable and otherwise shows the
// copy kept on this computer. The state's words come with the body (state_label, from
// shared/results/outcome.hpp); the explanations are here. Text only through textContent: nothing
// from the server is parsed as HTML.
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
    + 'certificate will be issued for this sitting. Your endorsing manager can see this decision and its reason; talk '
    + 'to them if you think it is wrong.',
  withheld_identity: 'Two proctors compared the photos taken at the start of your sitting with the name you were endorsed '
    + 'under and could not confirm that they show you, so your result is withheld. Your endorsing manager can see this '
    + 'decision and its reason; talk to them if you think it is wrong.',
  not_released: 'Results are released for everyone in an assessment window at once; your council will tell you when.',
};
const DECIDED = ['void_after_review', 'withheld_identity'];

// A sitting without a released result: its state, the public reason of a decision, what it means.
function renderState(sitting, list) {
  const id = `h-${sitting.sitting_id}`;
  const section = el('section', undefined, { 'aria-labelledby': id, class: 'result-state', 'data-state': sitting.state });
  section.append(el('h2', `Assessment ${sitting.assessment_id}`, { id }));
  const state = el('p', undefined, { class: `panel ${DECIDED.includes(sitting.state) ? 'panel--stopped' : 'panel--waiting'}` });
  state.append(el('strong', sitting.state_label || sitting.state));
  if (DECIDED.includes(sitting.state) && sitting.public_reason) state.append(`: ${sitting.public_reason}`);
  section.append(state, el('p', MEANING[sitting.state] || ''));
  list.append(section);
}

function render(result, list) {
  const rep = result.report;
  const section = el('section', undefined, { 'aria-labelledby': `h-${result.sitting_id}` });
  section.append(el('h2', `Assessment ${rep.assessment_id}`, { id: `h-${result.sitting_id}` }));
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

async function load() {
  const status = document.getElementById('result-status');
  const list = document.getElementById('result-list');
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
    for (const sitting of sittings) {
      const result = body.results.find((r) => r.sitting_id === sitting.sitting_id);
      if (sitting.state === 'released' && result) render(result, list);
      else renderState(sitting, list);
    }
  } catch (e) {
    status.textContent = `Your result could not be shown: ${e.message}`;
  }
}

document.addEventListener('DOMContentLoaded', load);
