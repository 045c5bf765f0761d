// The appeals list (GET /staff/api/appeals; docs/STAFF.md "Appeals"): programme admins see every
// appeal and assign its reviewer and second reviewer from the proctors who took no part in the
// decision (eligible_reviewers; the server refuses anyone else); proctors see the appeals
// assigned to them. ?state=open|lodged|assigned|proposed|decided.
'use strict';
(async () => {
  const { h, api, say, when } = Vigil;
  const STATE = { lodged: 'Waiting for a reviewer', assigned: 'With the reviewer', proposed: 'Waiting for the second reviewer', decided: 'Decided' };
  const OUTCOME = { upheld: 'upheld: the decision stands', overturned: 'overturned: the result is released' };
  const me = await Vigil.start(['programme_admin', 'proctor']);
  const admin = me.role === 'programme_admin';
  const select = document.getElementById('state');
  const params = new URLSearchParams(location.search);
  if (params.has('state')) select.value = params.get('state');
  if (!admin) document.getElementById('intro').append(' You see the appeals assigned to you.');

  function names(proctors, id) {
    const p = proctors.find((x) => x.user_id === id);
    return p ? p.display_name : (id ? 'proctor ' + id : 'nobody yet');
  }

  async function assign(a, reviewer, second, proctors) {
    const body = { reviewer_id: Number(reviewer.value) };
    if (second.value) body.second_reviewer_id = Number(second.value);
    try {
      await api('POST', `appeals/${a.appeal_id}/assign`, body);
      await load();
      say('msg', `Appeal of ${a.full_name}: reviewer ${names(proctors, body.reviewer_id)}` +
        (body.second_reviewer_id ? `, second reviewer ${names(proctors, body.second_reviewer_id)}.` : '; no second reviewer yet.'), 'ok');
    } catch (e) { say('msg', e.message, 'error'); }
  }

  function assignCell(a, proctors) {
    if (!a.eligible_reviewers) {
      return h('td', {}, `Reviewer: ${names(proctors, a.reviewer_id)}`, h('br'), `Second reviewer: ${names(proctors, a.second_reviewer_id)}`);
    }
    const eligible = proctors.filter((p) => a.eligible_reviewers.includes(p.user_id));
    if (eligible.length === 0) return h('td', {}, 'No active proctor took no part in the decision: add one on the Administration page.');
    const rid = `reviewer-${a.appeal_id}`, sid = `second-${a.appeal_id}`;
    const reviewer = h('select', { id: rid }, eligible.map((p) => h('option', { value: p.user_id, selected: p.user_id === a.reviewer_id }, p.display_name)));
    const second = h('select', { id: sid }, h('option', { value: '' }, 'Later'),
      eligible.map((p) => h('option', { value: p.user_id, selected: p.user_id === a.second_reviewer_id }, p.display_name)));
    return h('td', {},
      h('label', { for: rid }, 'Reviewer', h('span', { class: 'visually-hidden' }, ' for the appeal of ' + a.full_name)), reviewer,
      h('label', { for: sid }, 'Second reviewer', h('span', { class: 'visually-hidden' }, ' for the appeal of ' + a.full_name)), second,
      h('button', { type: 'button', class: 'secondary', onclick: () => assign(a, reviewer, second, proctors) }, 'Assign',
        h('span', { class: 'visually-hidden' }, ' the appeal of ' + a.full_name)));
  }

  async function load() {
    const q = select.value ? '?state=' + encodeURIComponent(select.value) : '';
    try {
      const d = await api('GET', 'appeals' + q);
      document.getElementById('window-days').textContent = `${d.appeal_window_days} days`;
      document.getElementById('assign-col').hidden = !admin;
      const proctors = d.proctors || [];
      const rows = d.appeals.map((a) => {
        const state = a.state === 'decided' ? `Decided: ${OUTCOME[a.outcome]}` : STATE[a.state] + (a.disputed ? ' (the reviewers disagreed: assign two others)' : '');
        const part = a.your_part ? (a.your_part === 'reviewer' ? ' (you are the reviewer)' : ' (you are the second reviewer)') : '';
        return h('tr', {},
          h('th', { scope: 'row' }, h('a', { href: `/staff/appeal.html?a=${a.appeal_id}`, class: 'open-appeal' }, a.full_name,
            h('span', { class: 'visually-hidden' }, ': appeal')), h('br'),
          h('span', { class: 'hint' }, `${a.council_name}, sitting ${a.sitting_id}`)),
          h('td', {}, a.appealed_state_label, h('br'), h('span', { class: 'hint' }, 'decided ' + when(a.decision_wall_ms))),
          h('td', {}, when(a.lodged_wall_ms)),
          h('td', {}, state + part),
          admin ? assignCell(a, proctors) : null);
      });
      document.querySelector('#appeals tbody').replaceChildren(...rows);
      document.getElementById('appeals-caption').textContent = 'Appeals: ' + select.options[select.selectedIndex].textContent.toLowerCase();
      say('msg', rows.length ? `${rows.length} appeal(s).` : 'No appeals match.');
    } catch (e) { say('msg', e.message, 'error'); }
  }

  document.getElementById('filter').addEventListener('submit', (ev) => {
    ev.preventDefault();
    history.replaceState(null, '', '?state=' + encodeURIComponent(select.value));
    load();
  });
  Vigil.queueKeys('a.open-appeal');
  await load();
})();
