// The Reports page (programme admins): the aggregate equalities report of a window, one table per
// characteristic, with a CSV download, and the item statistics. Everything shown is a group
// count from the server; suppressed groups arrive without counts and are shown as "withheld".
'use strict';
(async () => {
  const { h, api, say } = Vigil;
  await Vigil.start(['programme_admin']);
  const pick = document.getElementById('window');

  const pct = (x) => (Math.round(x * 1000) / 10).toFixed(1) + '%';
  const num = (x) => (x === null || x === undefined ? '' : x.toFixed(2));

  function equalities(r) {
    document.getElementById('eq-summary').textContent =
      `${r.sittings} scored sittings in ${r.assessment_id}. Groups of fewer than ${r.min_group_size} candidates are withheld.`;
    document.getElementById('eq-csv').href = '/staff/api/reports/' + encodeURIComponent(r.assessment_id) + '/equalities.csv';
    const tables = r.characteristics.map((c) => h('div', { class: 'table-wrap' }, h('table', { id: 'eq-' + c.field },
      h('caption', {}, c.label + ': outcomes and proctoring flags by group'),
      h('thead', {}, h('tr', {}, ...['Group', 'Candidates', 'Met', 'Not met', 'Flagged', 'Flag rate'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...c.groups.map((g) => g.suppressed
        ? h('tr', {}, h('th', { scope: 'row' }, g.label), h('td', { colspan: '5' }, 'Withheld (small group)'))
        : h('tr', {}, h('th', { scope: 'row' }, g.label), h('td', {}, g.candidates), h('td', {}, g.met), h('td', {}, g.not_met),
          h('td', {}, g.flagged), h('td', {}, pct(g.flag_rate))))))));
    document.getElementById('eq-tables').replaceChildren(...tables);
    document.getElementById('eq-section').hidden = false;
  }

  function items(d) {
    document.querySelector('#items tbody').replaceChildren(...(d.items.length ? d.items.map((i) =>
      h('tr', {}, h('th', { scope: 'row' }, i.item_id), h('td', {}, i.candidates), h('td', {}, num(i.facility)), h('td', {}, num(i.discrimination))))
      : [h('tr', {}, h('td', { colspan: '4' }, 'No scored objective items in this window.'))]));
    document.getElementById('items-section').hidden = false;
  }

  async function show(id) {
    say('msg', 'Loading the reports for ' + id + '…');
    const path = 'reports/' + encodeURIComponent(id);
    const [eq, it] = await Promise.all([api('GET', path + '/equalities'), api('GET', path + '/items')]);
    equalities(eq);
    items(it);
    say('msg', 'Showing the reports for ' + id + '.', 'ok');
  }

  document.getElementById('pick').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!pick.value) return;
    try { await show(pick.value); } catch (e) { say('msg', e.message, 'error'); }
  });

  try {
    const d = await api('GET', 'reports/windows');
    if (!d.windows.length) {
      pick.replaceChildren(h('option', { value: '' }, 'No window has scored sittings yet'));
      say('msg', 'No assessment window has scored sittings yet, so there is nothing to report.');
      return;
    }
    pick.replaceChildren(...d.windows.map((w) => h('option', { value: w }, w)));
    const wanted = new URLSearchParams(location.search).get('w');
    if (wanted && d.windows.includes(wanted)) pick.value = wanted;
    await show(pick.value);
  } catch (e) { say('msg', e.message, 'error'); }
})();
