'use strict';
(async () => {
  const { h, api, say } = Vigil;
  const STATE = { open: 'Waiting for a first decision', awaiting_second: 'Waiting for a second proctor', decided: 'Decided' };
  const { admin, proctors } = await Vigil.startQueue('Each check goes to the least-loaded proctor when it arrives; reassign it here. A second proctor must be someone else.',
    'You see the checks assigned to you.');

  async function assign(c, select, second) {
    try {
      await api('POST', `identity/${encodeURIComponent(c.device_id)}/${encodeURIComponent(c.session_id)}/assign`, { proctor_id: Number(select.value), second });
      say('msg', `${c.full_name}: ${second ? 'second' : 'first'} proctor is now ${select.options[select.selectedIndex].text}.`, 'ok');
    } catch (e) { say('msg', e.message, 'error'); }
  }

  async function load() {
    try {
      const d = await api('GET', 'identity');
      const rows = d.checks.map((c, i) => {
        const href = `/staff/identity_check.html?d=${encodeURIComponent(c.device_id)}&s=${encodeURIComponent(c.session_id)}`;
        let assignCell = null;
        if (admin) {
          const id = 'assign-' + i;
          const second = c.state === 'awaiting_second';
          const select = h('select', { id }, proctors.map((p) => h('option', { value: p.user_id }, p.display_name)));
          assignCell = h('td', {}, h('label', { for: id, class: 'visually-hidden' }, `${second ? 'Second' : 'First'} proctor for ${c.full_name}`), select,
            h('button', { type: 'button', class: 'secondary', onclick: () => assign(c, select, second) }, second ? 'Assign as second' : 'Assign',
              h('span', { class: 'visually-hidden' }, ' for ' + c.full_name)));
        }
        const part = !admin && c.your_part === 'second' ? ' (you are the second proctor)' : '';
        return h('tr', { class: c.overdue ? 'overdue' : null }, h('th', { scope: 'row' }, h('a', { href, class: 'open-check' }, c.full_name), h('br'), h('span', { class: 'hint' }, 'sitting ' + c.session_id)),
          h('td', {}, c.level.replace('_', ' ')), h('td', {}, Vigil.age(c.age_ms)), h('td', {}, Vigil.due(c)), h('td', {}, STATE[c.state] + part), assignCell);
      });
      document.querySelector('#queue tbody').replaceChildren(...rows);
      say('msg', rows.length ? `${rows.length} check(s).` : 'No identity checks are waiting.');
    } catch (e) { say('msg', e.message, 'error'); }
  }

  Vigil.queueKeys('a.open-check');
  load();
})();
