// The candidate's released result (GET /api/result): outcome, stages, feedback per KSS area and
// next steps. The client fetches it when the server is reachable and otherwise shows the copy
// kept on this computer (docs/RESULTS.md). Text only through textContent: nothing from the
// server is parsed as HTML.
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
    if (body.results.length === 0) {
      status.textContent = body.offline
        ? 'No result is kept on this computer yet, and the assessment server cannot be reached. Try again when you are online.'
        : 'No result has been released to you yet. Your council will tell you when results are out.';
      return;
    }
    status.textContent = body.offline
      ? 'The assessment server cannot be reached: this is the result kept on this computer.'
      : 'Your result, as released.';
    for (const result of body.results) render(result, list);
  } catch (e) {
    status.textContent = `Your result could not be shown: ${e.message}`;
  }
}

document.addEventListener('DOMContentLoaded', load);
