// The programme admin's list of a window's withheld sittings (GET .../windows/{w}/withheld,
// docs/STAFF.md "Withheld results"): candidate, council, the state and why (the unfinished checks,
// or the decision's public reason, never the proctors' notes), since when, and links to the
// proctor review and the identity check. ?w=WINDOW&reason=STATE_OR_CHECK.
'use strict';
(async () => {
  const { h, api, say, when } = Vigil;
  await Vigil.start(['programme_admin']);
  const params = new URLSearchParams(location.search);
  const windowId = params.get('w') || '';
  const select = document.getElementById('reason');
  select.value = params.get('reason') || '';
  if (select.value !== (params.get('reason') || '')) select.value = '';
  document.getElementById('back').href = '/staff/results.html?w=' + encodeURIComponent(windowId);
  const REVIEW = { open: 'not decided', awaiting_second: 'awaiting a second proctor', decided: 'decided' };
  const CHECK = { open: 'not decided', awaiting_second: 'awaiting a second proctor', decided: 'decided' };

  function links(s) {
    const items = [
      ...s.reviews.map((r) => h('li', {}, h('a', { href: `/staff/session.html?d=${encodeURIComponent(r.device_id)}&s=${encodeURIComponent(r.session_id)}` },
        'Proctor review', h('span', { class: 'visually-hidden' }, ' of ' + s.full_name)), ` (${REVIEW[r.state] || r.state})`)),
      ...s.identity_checks.map((c) => h('li', {}, h('a', { href: `/staff/identity_check.html?d=${encodeURIComponent(c.device_id)}&s=${encodeURIComponent(c.session_id)}` },
        'Identity check', h('span', { class: 'visually-hidden' }, ' of ' + s.full_name)), ` (${CHECK[c.state] || c.state})`)),
    ];
    return items.length ? h('ul', { class: 'plain' }, items) : '';
  }

  function reason(s) {
    const out = [h('strong', {}, s.state_label)];
    if (s.pending.length) out.push(h('ul', { class: 'plain' }, s.pending.map((p) => h('li', {}, p.label))));
    if (s.public_reason) out.push(h('br'), 'Public reason: ', s.public_reason);
    else if (s.state !== 'under_review') out.push(h('br'), h('span', { class: 'hint' }, 'No public reason was recorded (decided before public reasons).'));
    return out;
  }

  async function load() {
    const q = select.value ? '?reason=' + encodeURIComponent(select.value) : '';
    try {
      const d = await api('GET', 'results/windows/' + encodeURIComponent(windowId) + '/withheld' + q);
      const label = select.options[select.selectedIndex].textContent.replace(/^– /, '');
      document.getElementById('title').textContent = 'Withheld results of ' + d.assessment_id;
      document.getElementById('withheld-caption').textContent = `Withheld sittings of ${d.assessment_id}: ${label.toLowerCase()}`;
      document.querySelector('#withheld tbody').replaceChildren(...d.sittings.map((s) => h('tr', {},
        h('th', { scope: 'row' }, s.full_name, h('br'), h('span', { class: 'hint' }, 'sitting ' + s.sitting_id)),
        h('td', {}, s.council_name), h('td', {}, reason(s)), h('td', {}, s.since_wall_ms ? when(s.since_wall_ms) : ''),
        h('td', {}, links(s)))));
      document.getElementById('count').textContent = d.sittings.length === 0 ? 'No withheld sittings match.'
        : `${d.sittings.length} sitting(s). Release goes ahead for every other result of this window.`;
    } catch (e) { say('msg', e.message, 'error'); }
  }

  document.getElementById('filter').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams({ w: windowId });
    if (select.value) p.set('reason', select.value);
    history.replaceState(null, '', '?' + p);
    load();
  });
  await load();
})();
