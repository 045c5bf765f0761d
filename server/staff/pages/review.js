'use strict';
(async () => {
  const { h, api, say, when } = Vigil;
  const STATE = { open: 'Open', awaiting_second: 'Waiting for a second proctor', decided: 'Decided' };
  const { admin, proctors } = await Vigil.startQueue('Assign each session to a proctor; an adverse decision needs a second proctor, so assign two.',
    'You see the sessions assigned to you.');

  async function assign(s, select) {
    try {
      await api('POST', `sessions/${encodeURIComponent(s.device_id)}/${encodeURIComponent(s.session_id)}/assign`, { proctor_id: Number(select.value) });
      say('msg', `Session ${s.session_id} assigned to ${select.options[select.selectedIndex].text}.`, 'ok');
    } catch (e) { say('msg', e.message, 'error'); }
  }

  async function load() {
    const state = document.getElementById('state').value;
    try {
      const d = await api('GET', 'queue' + (state ? '?state=' + state : ''));
      const rows = d.sessions.map((s, i) => {
        const href = `/staff/session.html?d=${encodeURIComponent(s.device_id)}&s=${encodeURIComponent(s.session_id)}`;
        let assignCell = null;
        if (admin) {
          const id = 'assign-' + i;
          const select = h('select', { id }, proctors.map((p) => h('option', { value: p.user_id }, p.display_name)));
          assignCell = h('td', {}, h('label', { for: id, class: 'visually-hidden' }, 'Proctor for session ' + s.session_id), select,
            h('button', { type: 'button', class: 'secondary', onclick: () => assign(s, select) }, 'Assign', h('span', { class: 'visually-hidden' }, ' session ' + s.session_id)));
        }
        return h('tr', { class: s.overdue && s.state !== 'decided' ? 'overdue' : null }, h('td', {}, String(i + 1)), h('th', { scope: 'row' }, h('a', { href, class: 'open-session' }, s.session_id), h('br'), h('span', { class: 'hint' }, 'candidate ' + s.candidate_id)),
          h('td', {}, String(s.flag_count)), h('td', { class: 'severity-' + s.max_severity }, s.max_severity),
          h('td', {}, Math.round(s.max_confidence * 100) + '%'), h('td', {}, when(s.first_flag_wall_ms)), h('td', {}, s.state === 'decided' ? 'Decided' : Vigil.due(s)),
          h('td', {}, STATE[s.state] + (s.proposed_decision ? ` (proposed: ${s.proposed_decision.replace('_', ' ')})` : '') + (s.decision ? ` (${s.decision.replace('_', ' ')})` : '')),
          assignCell);
      });
      document.querySelector('#queue tbody').replaceChildren(...rows);
      say('msg', rows.length ? `${rows.length} session(s).` : 'No sessions here.');
    } catch (e) { say('msg', e.message, 'error'); }
  }
  document.getElementById('filters').addEventListener('submit', (ev) => { ev.preventDefault(); load(); });

  Vigil.queueKeys('a.open-session');
  load();
})();
