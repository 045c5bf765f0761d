// The council's Results view on the council page: its own candidates' released results (outcome,
// date, per stage and per KSS area with "at the standard") and the sittings withheld or void (the
// state's words and the decision's public reason, never the proctors' notes; docs/RESULTS.md
// "Outcome states"), a CSV per window, and re-endorsement of a candidate whose latest released
// result is "not met" (docs/RESULTS.md "Not met, and re-endorsement"). council.js calls
// CouncilResults.show(council, onChange) when the council is chosen or its list refreshed.
'use strict';
const CouncilResults = (() => {
  const { h, api, say } = Vigil;
  const OUTCOME = { met: 'Met the standard', not_met: 'Not met' };
  const STAGE = { knowledge: 'Knowledge', scenario: 'Scenario', written: 'Written' };
  const STAGE_STATUS = { met: 'met', not_met: 'not met', exempt: 'exempt', not_assessed: 'not assessed', awaiting_marking: 'awaiting marking' };
  let council = '';
  let changed = () => {};

  function stages(r) {
    return h('ul', { class: 'plain' }, r.stages.map((s) => h('li', {}, `${STAGE[s.stage] || s.stage}: `,
      s.status === 'met' || s.status === 'not_met' ? `${s.percent}% (${STAGE_STATUS[s.status]})` : (STAGE_STATUS[s.status] || s.status))));
  }

  function areas(r) {
    return h('ul', { class: 'plain' }, r.areas.map((a) => h('li', {}, `${a.kss}: ${a.percent}%, `,
      a.at_standard ? 'at the standard' : h('strong', {}, 'not at the standard'))));
  }

  async function reendorse(r) {
    if (!window.confirm(`Re-endorse ${r.full_name} for a resit? Their result (${r.assessment_id}) was not met. ` +
      'The programme can then schedule their next attempt in a later window.')) return;
    try {
      const d = await api('POST', 'councils/' + encodeURIComponent(council) + '/candidates/' + encodeURIComponent(r.candidate_id) + '/reendorse', { confirm: true });
      say('results-msg', `${r.full_name} re-endorsed for a resit (attempt ${d.attempt}).`, 'ok');
      await load();
      changed();
    } catch (e) { say('results-msg', e.message, 'error'); }
  }

  function action(r) {
    if (r.can_reendorse) {
      return h('button', { type: 'button', class: 'secondary', onclick: () => reendorse(r) }, 'Re-endorse for a resit',
        h('span', { class: 'visually-hidden' }, ' ' + r.full_name));
    }
    if (r.reendorsed) return r.resit_sitting_id ? 'Re-endorsed; resit scheduled' : 'Re-endorsed for a resit';
    return '';
  }

  // A sitting without a released result: its state's words and, for a decision, the public reason.
  function state(r) {
    const appeal = r.appeal ? (r.appeal.state === 'decided' ? ` Appeal decided: ${r.appeal.outcome === 'upheld' ? 'the decision stands' : 'overturned'}.`
      : ' Appeal received, being reviewed.') : '';
    return [h('strong', {}, r.state_label), r.public_reason ? ': ' + r.public_reason : '', r.since ? ` (since ${r.since})` : '', appeal];
  }

  async function load() {
    const { results } = await api('GET', 'councils/' + encodeURIComponent(council) + '/results');
    document.querySelector('#results tbody').replaceChildren(...results.map((r) => (r.state === 'released' || r.state === 'released_after_appeal' ? h('tr', {},
      h('th', { scope: 'row' }, r.full_name), h('td', {}, r.assessment_id), h('td', {}, String(r.attempt)),
      h('td', {}, (OUTCOME[r.outcome] || r.outcome) + (r.state === 'released_after_appeal' ? ' (released after an appeal)' : '')), h('td', {}, r.released), h('td', {}, `${r.overall.percent}%`),
      h('td', {}, stages(r)), h('td', {}, areas(r)), h('td', {}, action(r)))
      : h('tr', { class: 'withheld', 'data-state': r.state },
        h('th', { scope: 'row' }, r.full_name), h('td', {}, r.assessment_id), h('td', {}, String(r.attempt)),
        h('td', {}, state(r)), h('td', {}, '–'), h('td', {}, '–'), h('td', {}, '–'), h('td', {}, '–'), h('td', {}, '')))));
    document.getElementById('results-none').hidden = results.length > 0;
    document.getElementById('results-wrap').hidden = results.length === 0;
    const windows = [...new Set(results.map((r) => r.assessment_id))].sort();
    document.getElementById('results-csv').replaceChildren(...windows.map((w) => h('li', {},
      h('a', { href: '/staff/api/councils/' + encodeURIComponent(council) + '/results.csv?assessment=' + encodeURIComponent(w) },
        `Download the results of ${w} (CSV)`))));
  }

  async function show(c, onChange) {
    council = c;
    if (onChange) changed = onChange;
    try { await load(); } catch (e) { say('results-msg', e.message, 'error'); }
  }

  return { show };
})();
