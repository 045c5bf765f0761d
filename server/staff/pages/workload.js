// The programme admin's view of the proctors' workload (GET /staff/api/workload, docs/STAFF.md
// "Workload"): each active proctor's load, every review and identity check not decided with whom
// it waits on, its age, target and due time (overdue said in words), and a form to reassign an
// item to another active proctor with a required reason (POST .../reassign).
'use strict';
(async () => {
  const { h, api, say } = Vigil;
  await Vigil.start(['programme_admin']);
  const section = document.getElementById('reassign-section');
  const form = document.getElementById('reassign');
  const to = document.getElementById('reassign-to');
  const reason = document.getElementById('reassign-reason');
  const reasonError = document.getElementById('reassign-reason-error');
  let proctors = [];
  let current = null;   // the item being reassigned
  let opener = null;    // its row's button, for the focus on cancel

  function fieldError(text) {
    reasonError.textContent = text || '';
    reasonError.hidden = !text;
    if (text) reason.setAttribute('aria-invalid', 'true'); else reason.removeAttribute('aria-invalid');
  }

  function open(w, button) {
    current = w; opener = button;
    const others = proctors.filter((p) => p.proctor_id !== w.proctor_id);
    to.replaceChildren(...others.map((p) => h('option', { value: p.proctor_id }, `${p.display_name} (${p.open_reviews + p.open_identity_checks} waiting)`)));
    document.getElementById('h-reassign').textContent = 'Reassign: ' + Vigil.workTitle(w);
    document.getElementById('reassign-what').textContent = 'Waiting on ' + (w.proctor_name || 'nobody') + ' as ' + Vigil.partText(w).toLowerCase() +
      ' for ' + Vigil.age(w.age_ms) + '.';
    reason.value = '';
    fieldError('');
    say('reassign-msg', others.length ? '' : 'There is no other active proctor to give it to.', others.length ? '' : 'error');
    section.hidden = false;
    document.getElementById('h-reassign').focus();
  }

  function close() {
    section.hidden = true;
    current = null;
    if (opener && opener.isConnected) opener.focus();
  }

  async function load() {
    try {
      const d = await api('GET', 'workload');
      proctors = d.proctors;
      document.getElementById('targets').textContent = Vigil.targetsText(d.targets);
      document.querySelector('#proctors tbody').replaceChildren(...d.proctors.map((p) => h('tr', {},
        h('th', { scope: 'row' }, p.display_name), h('td', {}, String(p.open_reviews)), h('td', {}, String(p.open_identity_checks)),
        h('td', {}, String(p.open_reviews + p.open_identity_checks)),
        h('td', {}, p.oldest_age_ms === null || p.oldest_age_ms === undefined ? 'Nothing waiting' : Vigil.age(p.oldest_age_ms)))));
      document.getElementById('proctors-wrap').hidden = d.proctors.length === 0;
      document.getElementById('proctors-empty').hidden = d.proctors.length !== 0;
      const rows = d.items.map((w, i) => {
        const button = h('button', { type: 'button', class: 'secondary', id: 'reassign-' + i }, 'Reassign',
          h('span', { class: 'visually-hidden' }, ' ' + Vigil.workTitle(w)));
        button.addEventListener('click', () => open(w, button));
        return h('tr', { class: w.overdue ? 'overdue' : null },
          h('th', { scope: 'row' }, Vigil.workLink(w, 'open-item')),
          h('td', {}, w.proctor_id ? w.proctor_name : h('strong', {}, 'Nobody yet'), h('br'), h('span', { class: 'hint' }, Vigil.partText(w))),
          h('td', {}, Vigil.age(w.age_ms)),
          h('td', {}, Math.round(w.target_ms / 3600000) + ' hours'),
          h('td', {}, Vigil.due(w)),
          h('td', {}, button));
      });
      document.querySelector('#items tbody').replaceChildren(...rows);
      document.getElementById('items-wrap').hidden = rows.length === 0;
      const overdue = d.items.filter((w) => w.overdue).length;
      const nobody = d.items.filter((w) => !w.proctor_id).length;
      document.getElementById('summary').textContent = rows.length === 0 ? 'No reviews or identity checks are waiting.'
        : `${rows.length} open item(s)` + (overdue ? `, ${overdue} overdue` : ', none overdue') + (nobody ? `, ${nobody} waiting on nobody.` : '.');
    } catch (e) { say('msg', e.message, 'error'); }
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!current) return;
    const why = reason.value.trim();
    if (!why) { fieldError('Error: say why you reassign it.'); reason.focus(); return; }
    if (/[\r\n]/.test(why)) { fieldError('Error: write the reason on one line.'); reason.focus(); return; }
    if (!to.value) { say('reassign-msg', 'There is no other active proctor to give it to.', 'error'); return; }
    fieldError('');
    const w = current;
    const kindPath = w.kind === 'review' ? 'sessions' : 'identity';
    try {
      await api('POST', `${kindPath}/${encodeURIComponent(w.device_id)}/${encodeURIComponent(w.session_id)}/reassign`,
        { proctor_id: Number(to.value), reason: why });
      const name = to.options[to.selectedIndex].textContent.replace(/ \(\d+ waiting\)$/, '');
      section.hidden = true;
      current = null;
      await load();
      say('msg', `${Vigil.workTitle(w)} is now waiting on ${name}.`, 'ok');
      document.getElementById('msg').focus();
    } catch (e) {
      if (e.data && e.data.error && e.data.error.field === 'reason') { fieldError('Error: ' + e.message + '.'); reason.focus(); }
      else say('reassign-msg', 'Not reassigned: ' + e.message + '.', 'error');
    }
  });
  document.getElementById('reassign-cancel').addEventListener('click', close);
  document.getElementById('msg').setAttribute('tabindex', '-1');

  await load();
  Vigil.queueKeys('a.open-item');
})();
