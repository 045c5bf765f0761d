'use strict';
(async () => {
  const { h, api, say, when } = Vigil;
  // The completion states in the order a candidate moves through them; from "Withheld: under review"
  // on, the words of the outcome states (docs/RESULTS.md "Outcome states").
  const STATUS = { endorsed: 'Endorsed', enrolled: 'Enrolled', package_downloaded: 'Package downloaded', in_progress: 'In progress',
    under_review: 'Withheld: under review', submitted: 'Submitted on device', received: 'Received', result_released: 'Result released',
    void_after_review: 'Void following a review', withheld_identity: 'Withheld: identity not confirmed', withdrawn: 'Withdrawn' };
  const LEVEL = { practitioner: 'Practitioner', practice_supervisor: 'Practice supervisor' };
  const me = await Vigil.start(['council_manager', 'programme_admin']);
  let council = me.council_id || '';
  let offset = 0; const limit = 50; let total = 0;

  const statusSelect = document.getElementById('f-status');
  for (const [k, v] of Object.entries(STATUS)) statusSelect.append(h('option', { value: k }, v));

  if (me.role === 'programme_admin') {
    const { councils } = await api('GET', 'councils');
    const sel = document.getElementById('council');
    for (const c of councils) sel.append(h('option', { value: c.council_id }, c.name));
    document.getElementById('council-pick').hidden = false;
    const wanted = new URLSearchParams(location.search).get('c');
    council = wanted || (councils[0] && councils[0].council_id) || '';
    sel.value = council;
    sel.addEventListener('change', () => { council = sel.value; offset = 0; refresh(); });
  }
  const base = () => 'councils/' + encodeURIComponent(council) + '/';

  function query() {
    const p = new URLSearchParams();
    if (statusSelect.value) p.set('status', statusSelect.value);
    const q = document.getElementById('f-q').value.trim();
    if (q) p.set('q', q);
    return p;
  }

  // The take-up chart: bars drawn in SVG, with the same figures in a table (the text equivalent).
  async function summary() {
    const s = await api('GET', base() + 'summary');
    const items = [['Endorsed', s.endorsed], ['Enrolled or further', s.endorsed - s.by_status.endorsed],
      ['Completed', s.completed], ['Met the standard', s.met]];
    const target = s.eligible_headcount;
    const max = Math.max(1, target || 0, ...items.map((i) => i[1]));
    const width = 560; const rowH = 34; const labelW = 190;
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('class', 'chart');
    svg.setAttribute('viewBox', `0 0 ${width} ${rowH * (items.length + (target !== null ? 1 : 0)) + 10}`);
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-labelledby', 'chart-title');
    const title = document.createElementNS(svg.namespaceURI, 'title');
    title.id = 'chart-title';
    title.textContent = 'Take-up chart; the same figures are in the table below.';
    svg.append(title);
    const all = target !== null ? [['Eligible headcount', target, true], ...items] : items;
    all.forEach(([label, n, isTarget], i) => {
      const y = i * rowH + 5;
      const t = document.createElementNS(svg.namespaceURI, 'text');
      t.setAttribute('x', 0); t.setAttribute('y', y + 20); t.textContent = label;
      const r = document.createElementNS(svg.namespaceURI, 'rect');
      r.setAttribute('x', labelW); r.setAttribute('y', y + 4); r.setAttribute('height', 22);
      r.setAttribute('width', Math.max(1, Math.round((width - labelW - 60) * n / max)));
      r.setAttribute('class', isTarget ? 'bar target' : 'bar');
      const v = document.createElementNS(svg.namespaceURI, 'text');
      v.setAttribute('x', labelW + Math.round((width - labelW - 60) * n / max) + 6); v.setAttribute('y', y + 20); v.textContent = n;
      svg.append(t, r, v);
    });
    const pct = (n) => (target ? ` (${Math.round((100 * n) / target)}% of eligible)` : '');
    const table = h('table', {}, h('caption', {}, 'Take-up figures'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Measure'), h('th', { scope: 'col' }, 'Candidates'))),
      h('tbody', {}, target !== null ? h('tr', {}, h('th', { scope: 'row' }, 'Eligible headcount'), h('td', {}, String(target))) : null,
        items.map(([label, n]) => h('tr', {}, h('th', { scope: 'row' }, label), h('td', {}, n + pct(n)))),
        Object.entries(STATUS).map(([k, label]) => h('tr', {}, h('th', { scope: 'row' }, 'Now: ' + label), h('td', {}, String(s.by_status[k]))))));
    document.getElementById('summary').replaceChildren(svg, table);
    if (target !== null) document.getElementById('eligible').value = target;
  }

  // "Result released" says which; a resit shows its attempt (docs/RESULTS.md "Not met, and re-endorsement").
  function statusText(c) {
    let text = STATUS[c.status] || c.status;
    if (c.status === 'result_released' && c.appeal === 'overturned') text += ' after an appeal';
    if (c.status === 'result_released' && c.outcome) text += c.outcome === 'met' ? ': met' : c.reendorsed ? ': not met — re-endorsed for a resit' : ': not met';
    if ((c.status === 'void_after_review' || c.status === 'withheld_identity') && c.public_reason) text += ': ' + c.public_reason;
    // The candidate's appeal of the decision (docs/STAFF.md "Appeals").
    if ((c.status === 'void_after_review' || c.status === 'withheld_identity') && c.appeal) {
      text += c.appeal === 'open' ? ' — appeal received, being reviewed' : c.appeal === 'upheld' ? ' — appeal decided: the decision stands' : '';
    }
    if (c.attempt > 1) text += ` (attempt ${c.attempt})`;
    return text;
  }

  async function list() {
    const p = query();
    p.set('offset', offset); p.set('limit', limit);
    const d = await api('GET', base() + 'candidates?' + p);
    total = d.total;
    const body = document.querySelector('#status tbody');
    body.replaceChildren(...d.candidates.map((c) => h('tr', {},
      h('th', { scope: 'row' }, c.full_name, h('br'), h('span', { class: 'hint' }, c.work_email)),
      h('td', {}, c.employee_ref), h('td', {}, LEVEL[c.level] || c.level), h('td', {}, statusText(c)),
      h('td', {}, when(c.last_seen_wall_ms)),
      h('td', {}, c.status === 'withdrawn' ? '' : h('button', { type: 'button', class: 'secondary', onclick: () => withdraw(c) },
        'Withdraw', h('span', { class: 'visually-hidden' }, ' ' + c.full_name))))));
    document.getElementById('count').textContent = total === 0 ? 'No candidates match.' :
      `Showing ${offset + 1} to ${offset + d.candidates.length} of ${total} candidates.`;
    document.getElementById('prev').disabled = offset === 0;
    document.getElementById('next').disabled = offset + limit >= total;
    const e = query();
    document.getElementById('export').href = '/staff/api/' + base() + 'candidates.csv' + (e.toString() ? '?' + e : '');
  }

  async function refresh() {
    try { await Promise.all([summary(), list()]); } catch (e) { say('msg', e.message, 'error'); }
    if (typeof CouncilResults !== 'undefined') CouncilResults.show(council, () => list());
  }

  document.getElementById('filters').addEventListener('submit', (ev) => { ev.preventDefault(); offset = 0; list(); });
  document.getElementById('prev').addEventListener('click', () => { offset = Math.max(0, offset - limit); list(); });
  document.getElementById('next').addEventListener('click', () => { offset += limit; list(); });

  document.getElementById('upload').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const report = document.getElementById('report');
    report.replaceChildren();
    const file = document.getElementById('file').files[0];
    if (!file) { say('upload-msg', 'Choose a CSV file first.', 'error'); return; }
    if (file.size > 2 * 1024 * 1024) { say('upload-msg', 'This file is larger than 2 MB: split it into smaller files. Nothing was imported.', 'error'); return; }
    say('upload-msg', 'Checking the file…');
    try {
      const d = await api('POST', base() + 'import', await file.arrayBuffer(), 'text/csv');
      say('upload-msg', `${d.imported} candidate(s) endorsed.`, 'ok');
      refresh();
    } catch (e) {
      say('upload-msg', e.message, 'error');
      const problems = (e.data && e.data.problems) || [];
      if (problems.length) {
        report.replaceChildren(h('div', { class: 'table-wrap' }, h('table', { id: 'problems' },
          h('caption', {}, `Problems in the file (${problems.length})`),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Line'), h('th', { scope: 'col' }, 'Column'), h('th', { scope: 'col' }, 'Problem'))),
          h('tbody', {}, problems.map((p) => h('tr', {}, h('td', {}, String(p.line)), h('td', {}, p.field), h('td', {}, p.message)))))));
      }
    }
  });

  document.getElementById('add').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = (id) => document.getElementById(id).value.trim();
    try {
      await api('POST', base() + 'candidates', { name: v('a-name'), work_email: v('a-email'), employee_ref: v('a-ref'), level: v('a-level'),
        exemptions: v('a-ex'), extra_time_percent: v('a-time'), extra_break_minutes: v('a-break') });
      say('add-msg', v('a-name') + ' endorsed.', 'ok');
      ev.target.reset();
      refresh();
    } catch (e) {
      const problems = (e.data && e.data.problems) || [];
      say('add-msg', problems.length ? problems.map((p) => p.message).join('. ') + '.' : e.message, 'error');
    }
  });

  document.getElementById('issue').addEventListener('click', async () => {
    say('codes-msg', 'Issuing codes…');
    try {
      const d = await api('POST', base() + 'codes');
      say('codes-msg', d.codes.length ? `${d.codes.length} code(s) issued${d.more ? '; more candidates need codes: press the button again' : ''}.` : 'Every endorsed candidate already has a code or is enrolled.', 'ok');
      if (d.codes.length) {
        document.getElementById('codes').replaceChildren(h('div', { class: 'table-wrap' }, h('table', {},
          h('caption', {}, 'New enrolment codes (shown once)'),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Work email'), h('th', { scope: 'col' }, 'Code'), h('th', { scope: 'col' }, 'Expires'))),
          h('tbody', {}, d.codes.map((c) => h('tr', {}, h('td', {}, c.full_name), h('td', {}, c.work_email), h('td', {}, h('code', {}, c.code)), h('td', {}, when(c.expires_wall_ms))))))));
      }
    } catch (e) { say('codes-msg', e.message, 'error'); }
  });

  document.getElementById('headcount').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const n = Number(document.getElementById('eligible').value);
    try { await api('PUT', base() + 'headcount', { eligible: n }); say('hc-msg', 'Headcount saved.', 'ok'); summary(); } catch (e) { say('hc-msg', e.message, 'error'); }
  });

  const dialog = document.getElementById('withdraw-dialog');
  let withdrawing = null; let opener = null;
  function withdraw(c) {
    withdrawing = c; opener = document.activeElement;
    document.getElementById('wd-who').textContent = `${c.full_name}${c.employee_ref ? ` (${c.employee_ref})` : ''} will no longer be endorsed; unused enrolment codes stop working.`;
    document.getElementById('wd-reason').value = '';
    dialog.showModal();
  }
  document.getElementById('wd-cancel').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => { if (opener) opener.focus(); });
  document.getElementById('withdraw').addEventListener('submit', async (ev) => {
    const reason = document.getElementById('wd-reason').value.trim();
    if (!reason) { ev.preventDefault(); document.getElementById('wd-reason').focus(); return; }
    try {
      await api('POST', base() + 'candidates/' + encodeURIComponent(withdrawing.candidate_id) + '/withdraw', { reason });
      say('msg', withdrawing.full_name + ' withdrawn.', 'ok');
      refresh();
    } catch (e) { say('msg', e.message, 'error'); }
  });

  document.getElementById('title').textContent = me.role === 'council_manager' ? 'Your candidates' : 'Candidates by council';
  refresh();
})();
