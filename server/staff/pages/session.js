'use strict';
(async () => {
  const { h, api, say, when } = Vigil;
  const CHECK = { no_face: 'No face in view', multi_face: 'More than one face', look_away: 'Looking away', partial: 'Face partly out of view',
    dark: 'Too dark to see', covered: 'Camera covered', frozen: 'Picture frozen', loop: 'Picture repeating', face_changed: 'A different face',
    camera_lost: 'Camera lost', conflict: 'Records sent again with different content', bad_checkpoint: 'Signature does not match',
    clock_jump: 'Clock changed', bad_manifest: 'Submission list unreadable' };
  const DECISION = { no_concerns: 'No concerns', concerns: 'Concerns', breach: 'Breach of the rules', dismiss: 'Dismissed', note: 'Noted', concern: 'Concern' };
  const CHOICE = { dismiss: 'Dismiss', note: 'Note it', concern: 'Record a concern' };
  // Standard public reasons a proctor can start from (docs/STAFF.md "Public reasons").
  const PUBLIC_REASONS = [
    'Another person was present and helped during the assessment.',
    'Notes, books or another device were used during the assessment.',
    'The candidate was out of the camera\u2019s view for long periods during the assessment.',
    'The camera was covered or turned away for long periods during the assessment.',
    'Answers were changed or added after the assessment was submitted.',
  ];
  const me = await Vigil.start(['proctor', 'programme_admin']);
  const preset = document.getElementById('decide-public-preset');
  preset.append(...PUBLIC_REASONS.map((r) => h('option', { value: r }, r)));
  preset.addEventListener('change', () => { if (preset.value) document.getElementById('decide-public').value = preset.value; });
  const params = new URLSearchParams(location.search);
  const path = `sessions/${encodeURIComponent(params.get('d') || '')}/${encodeURIComponent(params.get('s') || '')}`;
  let data = null;
  const evidenceUrls = [];

  async function showEvidence(sha, holder, button) {
    button.disabled = true;
    try {
      const res = await fetch('/staff/api/' + path + '/evidence/' + sha, { credentials: 'same-origin' });
      if (!res.ok) { const d = await res.json(); throw new Error(d.error.message); }
      const blob = await res.blob();
      const url = URL.createObjectURL(blob);
      evidenceUrls.push(url);
      if (blob.type.startsWith('image/')) holder.append(h('img', { src: url, alt: 'Evidence snapshot ' + sha.slice(0, 8) + ' from the candidate\u2019s camera' }));
      else holder.append(h('p', {}, h('a', { href: url, download: sha + '.bin' }, `Evidence ${sha.slice(0, 8)} (${blob.size} bytes, not a picture): download`)));
    } catch (e) {
      holder.append(h('p', { class: 'message error' }, 'Could not show evidence: ' + e.message));
      button.disabled = false;
    }
  }

  function flagCard(f, i) {
    const id = 'flag-' + f.flag_row;
    const evidence = h('div', { class: 'evidence' });
    const name = CHECK[f.check] || f.check;
    const card = h('article', { class: 'flag', id, 'aria-labelledby': id + '-h' },
      h('h3', { id: id + '-h', tabindex: '-1' }, `Flag ${i + 1}: ${name}`),
      h('p', {}, `Severity ${f.severity}, confidence ${Math.round(f.confidence * 100)}%, from ${when(f.start_wall_ms)}` +
        (f.end_wall_ms ? ` to ${when(f.end_wall_ms)}` : '') + (f.source === 'server' ? ' (found by the server)' : '')));
    if (f.evidence.length && me.role === 'proctor') {
      const btn = h('button', { type: 'button', class: 'secondary show-evidence' }, `Show evidence (${f.evidence.length})`, h('span', { class: 'visually-hidden' }, ' for flag ' + (i + 1)));
      btn.addEventListener('click', async () => { for (const sha of f.evidence) await showEvidence(sha, evidence, btn); });
      card.append(btn, evidence);
    }
    if (f.decision) card.append(h('p', {}, h('strong', {}, 'Decision: '), `${DECISION[f.decision.decision]}${f.decision.note ? ' – ' + f.decision.note : ''}`));
    if (me.role === 'proctor' && data.session.state !== 'decided') {
      const form = h('form', { class: 'flag-decision' });
      const fs = h('fieldset', { class: 'radios' }, h('legend', {}, `Your decision on flag ${i + 1}`),
        ['dismiss', 'note', 'concern'].map((v) => h('label', {}, h('input', { type: 'radio', name: id + '-d', value: v, checked: f.decision && f.decision.decision === v }), ' ' + CHOICE[v])));
      const noteId = id + '-note';
      const note = h('textarea', { id: noteId }, f.decision ? f.decision.note : '');
      const msg = h('div', { class: 'message', role: 'status', 'aria-live': 'polite' });
      form.append(fs, h('label', { for: noteId }, 'Note ', h('span', { class: 'hint' }, '(what you saw; needed unless you dismiss)')), note,
        h('div', {}, h('button', { type: 'submit' }, 'Save decision', h('span', { class: 'visually-hidden' }, ' on flag ' + (i + 1)))), msg);
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const picked = form.querySelector('input[type=radio]:checked');
        if (!picked) { msg.className = 'message error'; msg.textContent = 'Choose dismiss, note or concern.'; return; }
        try {
          await api('POST', `${path}/flags/${f.flag_row}`, { decision: picked.value, note: note.value });
          msg.className = 'message ok'; msg.textContent = 'Saved: ' + DECISION[picked.value] + '.';
        } catch (e) { msg.className = 'message error'; msg.textContent = e.message; }
      });
      card.append(form);
    }
    return card;
  }

  function describe(ev) {
    const p = ev.payload || {};
    switch (ev.type) {
      case 'flag.raised': return `Flag raised: ${CHECK[p.check] || p.check} (${p.severity}, ${Math.round((p.confidence || 0) * 100)}%)`;
      case 'flag.ended': return 'Flag ended';
      case 'thumbnail.taken': return 'Periodic camera thumbnail taken';
      case 'camera.status': return `Camera: ${p.status}${p.detail ? ' – ' + p.detail : ''}`;
      case 'ui.event': return `Screen: ${String(p.event || '').replace('_', ' ')}`;
      case 'session.started': return 'Session started';
      case 'session.submitted': return `Session submitted (${p.reason || 'candidate'})`;
      case 'session.interrupted': return 'Session interrupted (computer restarted or the app closed)';
      default: return ev.type;
    }
  }

  function timelineItem(ev) {
    const li = h('li', { class: ev.type.startsWith('flag.') ? 't-flag' : '' }, h('time', {}, when(ev.wall_ms)), ' – ', describe(ev));
    // Periodic thumbnails open like evidence: decrypted for this view, and audited.
    const sha = ev.type === 'thumbnail.taken' && ev.payload && ev.payload.sha256;
    if (sha && me.role === 'proctor' && /^[0-9a-f]{64}$/.test(sha)) {
      const holder = h('div', { class: 'evidence' });
      const btn = h('button', { type: 'button', class: 'link' }, ' show it');
      btn.addEventListener('click', () => showEvidence(sha, holder, btn));
      li.append(' ', btn, holder);
    }
    return li;
  }

  // The server sends the timeline a page at a time (a bounded response whatever the device sent);
  // "Show later events" fetches the next page and appends it.
  function showMore(page) {
    const holder = document.getElementById('timeline-more');
    holder.replaceChildren();
    if (!page.timeline_truncated) return;
    const btn = h('button', { type: 'button' }, 'Show later events');
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      try {
        const next = await api('GET', `${path}?after_seq=${encodeURIComponent(page.timeline_next_after_seq)}`);
        document.getElementById('timeline').append(...next.timeline.map(timelineItem));
        showMore(next);
      } catch (e) { btn.disabled = false; say('msg', e.message, 'error'); }
    });
    holder.append(h('p', {}, 'The timeline continues.'), btn);
  }

  async function load() {
    try {
      data = await api('GET', path);
    } catch (e) { say('msg', e.message, 'error'); return; }
    const s = data.session;
    document.getElementById('title').textContent = 'Review session ' + s.session_id;
    const about = document.getElementById('about');
    const item = (k, v) => [h('dt', {}, k), h('dd', {}, v)];
    about.replaceChildren(...item('Candidate', s.candidate_id), ...item('Flags', String(s.flag_count)), ...item('State', s.state.replace('_', ' ')),
      ...item('Proctors assigned', String(data.assigned_proctors.length)));
    for (const u of evidenceUrls.splice(0)) URL.revokeObjectURL(u);
    document.getElementById('flags').replaceChildren(...data.flags.map(flagCard));
    document.getElementById('timeline').replaceChildren(...data.timeline.map(timelineItem));
    showMore(data);
    document.getElementById('decisions').replaceChildren(...data.decisions.map((d) =>
      h('li', {}, `${when(d.wall_ms)}: proctor ${d.proctor_id}${d.proctor_id === data.you ? ' (you)' : ''} – ${DECISION[d.decision]}${d.note ? ': ' + d.note : ''}`,
        d.public_reason ? [h('br'), h('span', { class: 'hint' }, 'Public reason: '), d.public_reason] : null)));
    const state = document.getElementById('decide-state');
    if (s.state === 'awaiting_second') {
      const second = s.proposed_by !== data.you;
      state.replaceChildren(...[h('p', { class: 'message' }, `Proposed: ${DECISION[s.proposed_decision]}. ` +
        (second ? 'You are the second proctor: record the same decision to confirm it, or a different one to send the session back for review.' : 'A second, different proctor must now agree.')),
      s.proposed_public_reason ? h('p', { id: 'proposed-public-reason' }, h('strong', {}, 'Proposed public reason: '), s.proposed_public_reason,
        second ? ' (below, to keep or reword if you confirm)' : '') : null].filter(Boolean));
      // The second proctor starts from the proposal's public reason.
      const field = document.getElementById('decide-public');
      if (second && !field.value && s.proposed_public_reason) field.value = s.proposed_public_reason;
    } else if (s.disputed && s.state !== 'decided') {
      state.replaceChildren(h('p', { class: 'message' }, 'Two proctors disagreed in this review round: a third proctor who took no part in it must decide.'));
    } else if (s.state === 'decided') {
      state.replaceChildren(h('p', { class: 'message ok' }, 'Decided: ' + DECISION[s.decision] + '.'));
    } else {
      state.replaceChildren();
    }
    document.getElementById('decide').hidden = me.role !== 'proctor' || s.state === 'decided';
  }

  document.getElementById('decide').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const picked = ev.target.querySelector('input[name=decision]:checked');
    if (!picked) { say('decide-msg', 'Choose a decision.', 'error'); return; }
    try {
      const body = { decision: picked.value, note: document.getElementById('decide-note').value };
      if (picked.value !== 'no_concerns') body.public_reason = document.getElementById('decide-public').value;
      const d = await api('POST', path + '/decision', body);
      say('decide-msg', d.state === 'awaiting_second' ? 'Recorded. A second proctor must agree before it takes effect.' :
        d.state === 'decided' ? 'Decided: ' + DECISION[d.decision] + '.' : 'Recorded. The proctors disagree: a third proctor who took no part must decide.', 'ok');
      await load();
    } catch (e) { say('decide-msg', e.message, 'error'); }
  });

  document.addEventListener('keydown', (ev) => {
    if (ev.target.matches('input, select, textarea') || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const heads = [...document.querySelectorAll('.flag h3')];
    if (!heads.length) return;
    const current = document.activeElement.closest ? document.activeElement.closest('.flag') : null;
    const at = current ? heads.indexOf(current.querySelector('h3')) : -1;
    const go = (i) => { document.querySelectorAll('.flag.current').forEach((f) => f.classList.remove('current')); heads[i].closest('.flag').classList.add('current'); heads[i].focus(); };
    if (ev.key === 'j') { go(Math.min(heads.length - 1, at + 1)); ev.preventDefault(); }
    if (ev.key === 'k') { go(Math.max(0, at - 1)); ev.preventDefault(); }
    if (ev.key === 'e' && current) { const b = current.querySelector('.show-evidence'); if (b && !b.disabled) b.click(); ev.preventDefault(); }
  });
  load();
})();
