// A proctor's own work (GET /staff/api/my-work, docs/STAFF.md "Workload"): every review and
// identity check waiting on them, oldest first, with how long it has waited, when it is due and,
// in words, whether it is overdue; each links to its page.
'use strict';
(async () => {
  const { h, api, say } = Vigil;
  await Vigil.start(['proctor']);

  try {
    const d = await api('GET', 'my-work');
    document.getElementById('targets').textContent = Vigil.targetsText(d.targets);
    const rows = d.items.map((w) => h('tr', { class: w.overdue ? 'overdue' : null },
      h('th', { scope: 'row' }, Vigil.workLink(w, 'open-item')),
      h('td', {}, Vigil.partText(w)),
      h('td', {}, Vigil.age(w.age_ms)),
      h('td', {}, Vigil.due(w))));
    document.querySelector('#work tbody').replaceChildren(...rows);
    const overdue = d.items.filter((w) => w.overdue).length;
    document.getElementById('work-wrap').hidden = rows.length === 0;
    document.getElementById('summary').textContent = rows.length === 0 ? 'Nothing is waiting on you.'
      : `${rows.length} item(s) waiting on you` + (overdue ? `, ${overdue} overdue.` : ', none overdue.');
  } catch (e) { say('msg', e.message, 'error'); }

  Vigil.queueKeys('a.open-item');
})();
