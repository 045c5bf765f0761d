'use strict';
(async () => {
  const { h, api, say, when } = Vigil;
  const ROLE = { programme_admin: 'Programme administrator', council_manager: 'Council manager', proctor: 'Proctor', assessor: 'Assessor' };
  await Vigil.start(['programme_admin']);
  let oldest = 0;

  async function users() {
    const d = await api('GET', 'users');
    document.querySelector('#users tbody').replaceChildren(...d.users.map((u) =>
      h('tr', {}, h('th', { scope: 'row' }, u.display_name), h('td', {}, u.email), h('td', {}, ROLE[u.role]), h('td', {}, u.council_id || ''),
        h('td', {}, u.disabled ? 'Disabled' : [
          h('button', { type: 'button', class: 'secondary', onclick: () => act(u, 'unlock', 'unlocked') }, 'Unlock', h('span', { class: 'visually-hidden' }, ' ' + u.display_name)),
          h('button', { type: 'button', class: 'secondary', onclick: () => reset(u) }, 'Reset password', h('span', { class: 'visually-hidden' }, ' of ' + u.display_name)),
          h('button', { type: 'button', class: 'warning', onclick: () => act(u, 'disable', 'disabled') }, 'Disable', h('span', { class: 'visually-hidden' }, ' ' + u.display_name))]))));
  }
  async function act(u, what, done) {
    if (what === 'disable' && !window.confirm(`Disable ${u.display_name}? They are signed out at once and cannot sign in again.`)) return;
    try { await api('POST', `users/${u.user_id}/${what}`); say('user-msg', `${u.display_name}: ${done}.`, 'ok'); users(); audit(false); } catch (e) { say('user-msg', e.message, 'error'); }
  }
  // An admin reset sets a one-time password (docs/STAFF.md): its owner must replace it at their
  // next sign-in, every session of theirs ends, and their authenticator stays, so the admin who
  // knows it cannot sign in as them.
  async function reset(u) {
    const password = window.prompt(`A one-time password for ${u.display_name} (at least 12 characters). Give it to them in person or by phone; they must choose their own at their next sign-in.`);
    if (!password) return;
    try {
      await api('POST', `users/${u.user_id}/reset-password`, { password });
      say('user-msg', `${u.display_name}: password reset; they must choose their own at their next sign-in.`, 'ok'); users(); audit(false);
    } catch (e) { say('user-msg', e.message, 'error'); }
  }
  async function councils() {
    const d = await api('GET', 'councils');
    document.getElementById('councils').replaceChildren(...d.councils.map((c) =>
      h('li', {}, h('a', { href: '/staff/council.html?c=' + encodeURIComponent(c.council_id) }, c.name), ` (${c.council_id})`)));
    const sel = document.getElementById('u-council');
    sel.replaceChildren(h('option', { value: '' }, 'None'), ...d.councils.map((c) => h('option', { value: c.council_id }, c.name)));
  }
  async function audit(more) {
    const d = await api('GET', 'audit?limit=50' + (more && oldest ? '&before=' + oldest : ''));
    const rows = d.entries.map((e) => h('tr', {}, h('td', {}, when(e.wall_ms)), h('td', {}, e.who),
      h('td', {}, e.action), h('td', {}, e.target), h('td', {}, e.detail)));
    const body = document.querySelector('#audit tbody');
    if (more) body.append(...rows); else body.replaceChildren(...rows);
    if (d.entries.length) oldest = d.entries[d.entries.length - 1].audit_id;
    document.getElementById('older').disabled = d.entries.length < 50;
  }

  document.getElementById('add-user').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = (id) => document.getElementById(id).value;
    try {
      await api('POST', 'users', { display_name: v('u-name').trim(), email: v('u-email').trim(), role: v('u-role'), council_id: v('u-council') || null, password: v('u-password') });
      say('user-msg', 'Account added for ' + v('u-name') + '.', 'ok');
      ev.target.reset();
      users(); audit(false);
    } catch (e) { say('user-msg', e.message, 'error'); }
  });
  document.getElementById('add-council').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = (id) => document.getElementById(id).value.trim();
    try { await api('POST', 'councils', { council_id: v('c-id'), name: v('c-name') }); say('council-msg', 'Council saved.', 'ok'); ev.target.reset(); councils(); } catch (e) { say('council-msg', e.message, 'error'); }
  });
  async function marking() {
    try {
      const d = await api('GET', 'marking/progress');
      document.querySelector('#marking tbody').replaceChildren(...d.windows.map((w) => h('tr', {},
        h('th', { scope: 'row' }, w.assessment_id), h('td', {}, String(w.awaiting_first)), h('td', {}, String(w.awaiting_second)),
        h('td', {}, String(w.awaiting_third)), h('td', {}, String(w.final)))));
      say('marking-msg', d.windows.length ? '' : 'No written scripts yet.');
    } catch (e) { say('marking-msg', e.message, 'error'); }
  }
  document.getElementById('older').addEventListener('click', () => audit(true));
  try { await Promise.all([users(), councils(), audit(false), marking()]); } catch (e) { say('msg', e.message, 'error'); }
})();
