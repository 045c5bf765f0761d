// The programme admin's Results page: per assessment window the counts, scoring of submitted
// sittings, pass marks, release (after a confirmation) and the window's CSV
// (docs/STAFF.md "Results: scoring, release and resits").
'use strict';
(async () => {
  const { h, api, say } = Vigil;
  await Vigil.start(['programme_admin']);
  const select = document.getElementById('window');
  let windows = [];
  const current = () => windows.find((w) => w.assessment_id === select.value);
  const base = () => 'results/windows/' + encodeURIComponent(select.value) + '/';

  async function load() {
    ({ windows } = await api('GET', 'results/windows'));
    document.querySelector('#windows tbody').replaceChildren(...windows.map((w) => h('tr', {},
      h('th', { scope: 'row' }, w.assessment_id), ...['sittings', 'submitted', 'scored', 'incomplete', 'met', 'not_met', 'released']
        .map((k) => h('td', {}, String(w[k]))))));
    document.getElementById('no-windows').hidden = windows.length > 0;
    document.getElementById('window-panel').hidden = windows.length === 0;
    const keep = select.value;
    select.replaceChildren(...windows.map((w) => h('option', { value: w.assessment_id }, w.assessment_id)));
    const wanted = keep || new URLSearchParams(location.search).get('w');
    if (wanted && windows.some((w) => w.assessment_id === wanted)) select.value = wanted;
    show();
  }

  // How many of the window's sittings are withheld and why, each count a link to those sittings
  // (withheld.html). A sitting under review can wait for more than one check: it is counted under each.
  function withheldSummary(w) {
    const n = w.withheld;
    const link = (reason, text) => h('a', { href: `/staff/withheld.html?w=${encodeURIComponent(w.assessment_id)}&reason=${reason}` }, text);
    const box = document.getElementById('withheld-summary');
    if (n.total === 0) {
      box.replaceChildren(h('p', { id: 'withheld-none' }, 'No sitting of this window is withheld.'));
      return;
    }
    const checks = [['review_open', 'proctor review not decided'], ['review_awaiting_second', 'proctor review awaiting a second proctor'],
      ['identity_pending', 'identity check not decided'], ['identity_awaiting_second', 'identity check awaiting a second proctor']]
      .filter(([k]) => n[k] > 0).map(([k, text]) => h('li', {}, link(k, `${n[k]}: ${text}`)));
    box.replaceChildren(
      h('p', {}, `${n.total} sitting(s) of this window withheld: `, link('', 'list them all'), '.'),
      h('ul', { id: 'withheld-counts' },
        n.under_review ? h('li', {}, link('under_review', `${n.under_review} withheld: under review`), checks.length ? h('ul', {}, checks) : null) : null,
        n.void_after_review ? h('li', {}, link('void_after_review', `${n.void_after_review} void following a review`)) : null,
        n.withheld_identity ? h('li', {}, link('withheld_identity', `${n.withheld_identity} withheld: identity not confirmed`)) : null));
  }

  function show() {
    const w = current();
    if (!w) return;
    document.getElementById('h-window').textContent = 'Window ' + w.assessment_id;
    for (const k of ['knowledge', 'scenario', 'written', 'overall']) document.getElementById('t-' + k).value = w.thresholds[k];
    withheldSummary(w);
    document.getElementById('release-summary').textContent =
      `${w.ready_to_release} scored result(s) ready to release now (${w.met} met and ${w.not_met} not met in all, ${w.released} released before); ` +
      `${w.withheld.total} withheld sitting(s) stay back and release goes ahead for the rest; ` +
      `${w.incomplete} awaiting marking stay back; ${w.submitted - w.scored > 0 ? w.submitted - w.scored : 0} submitted sitting(s) not scored yet.`;
    document.getElementById('csv').href = '/staff/api/' + base() + 'results.csv';
  }

  select.addEventListener('change', () => { say('window-msg', ''); document.getElementById('score-report').replaceChildren(); show(); });

  document.getElementById('score').addEventListener('click', async () => {
    say('window-msg', 'Scoring…');
    try {
      const d = await api('POST', base() + 'score');
      await load();   // the table first, so that the message never stands beside stale counts
      say('window-msg', `${d.scored.length} sitting(s) scored` + (d.failed.length ? `; ${d.failed.length} could not be scored (listed below).` : '.'),
        d.failed.length ? 'error' : 'ok');
      const rows = [...d.scored.map((s) => [s.sitting_id, Vigil.labels({ met: 'Met', not_met: 'Not met', incomplete: 'Awaiting marking' }, s.outcome)]),
        ...d.failed.map((f) => [f.sitting_id, 'Not scored: ' + f.error])];
      document.getElementById('score-report').replaceChildren(rows.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'scored' },
        h('caption', {}, 'Sittings scored now'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Sitting'), h('th', { scope: 'col' }, 'Result'))),
        h('tbody', {}, rows.map(([id, text]) => h('tr', {}, h('td', {}, id), h('td', {}, text)))))) : h('p', {}, 'No submitted sittings wait to be scored.'));
    } catch (e) { say('window-msg', e.message, 'error'); }
  });

  document.getElementById('thresholds').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const t = { v: 1 };
    for (const k of ['knowledge', 'scenario', 'written', 'overall']) t[k] = Number(document.getElementById('t-' + k).value);
    try {
      await api('PUT', base() + 'thresholds', t);
      await load();
      say('window-msg', 'Pass marks saved. Score the submitted sittings again so their results use them.', 'ok');
    } catch (e) { say('window-msg', e.message, 'error'); }
  });

  const dialog = document.getElementById('release-dialog');
  let opener = null;
  document.getElementById('release').addEventListener('click', () => {
    opener = document.activeElement;
    const w = current();
    document.getElementById('rd-title').textContent = 'Release the results of ' + w.assessment_id + '?';
    document.getElementById('rd-what').textContent = document.getElementById('release-summary').textContent;
    dialog.showModal();
  });
  document.getElementById('rd-cancel').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => { if (opener) opener.focus(); });
  document.getElementById('release-form').addEventListener('submit', async () => {
    try {
      const d = await api('POST', base() + 'release', { confirm: true });
      await load();   // the table first, so that the message never stands beside stale counts
      say('window-msg', `Released ${d.released} result(s) now; ${d.already} were released before; ${d.awaiting_marking} awaiting marking stay back; ` +
        `${d.withheld_under_review} withheld while proctors review them; ${d.withheld_adverse} withheld after an adverse proctor decision; ` +
        `${d.awaiting_identity} wait for their identity check; ${d.withheld_identity} withheld because the identity photos did not match. ` +
        (d.certificates_deferred ? 'No issuer key is loaded: issue certificates with vigil-server certificate issue.' : `${d.certificates} certificate(s) issued.`), 'ok');
    } catch (e) { say('window-msg', e.message, 'error'); }
  });

  try { await load(); } catch (e) { say('msg', e.message, 'error'); }
})();
