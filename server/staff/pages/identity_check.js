'use strict';
(async () => {
  const { h, api, say, when } = Vigil;
  const DECISION = { matches: 'Matches', does_not_match: 'Does not match', cannot_tell: 'Cannot tell' };
  const STATE = { open: 'Waiting for a first decision', awaiting_second: 'Waiting for a second proctor', decided: 'Decided' };
  // Standard public reasons for "does not match" (docs/STAFF.md "Public reasons").
  const PUBLIC_REASONS = [
    'The person in the face photo is not the person in the photo on the ID document.',
    'The ID document does not show the name of the endorsed candidate.',
    'The person seen during the sitting is not the person on the ID document.',
  ];
  // Programme admins follow a check from a withheld result: its state and decisions, never its photos.
  const me = await Vigil.start(['proctor', 'programme_admin']);
  Vigil.publicReasonPresets(PUBLIC_REASONS);
  const params = new URLSearchParams(location.search);
  const path = `identity/${encodeURIComponent(params.get('d') || '')}/${encodeURIComponent(params.get('s') || '')}`;

  // Each picture is fetched by the page (the server opens it for this request only) and shown from
  // memory; nothing is kept once the page is left.
  function picture(which, alt, caption) { return Vigil.picture(path + '/photos/' + which, alt, caption); }

  async function load() {
    let d;
    try { d = await api('GET', path); } catch (e) { say('msg', e.message, 'error'); document.getElementById('decide').hidden = true; return; }
    document.getElementById('title').textContent = 'Identity check: ' + d.full_name;
    document.getElementById('roster').replaceChildren(
      h('dt', {}, 'Name'), h('dd', { id: 'roster-name' }, d.full_name),
      h('dt', {}, 'Level'), h('dd', {}, d.level.replace('_', ' ')),
      h('dt', {}, 'Sitting'), h('dd', {}, d.session_id),
      h('dt', {}, 'Waiting for'), h('dd', {}, Vigil.age(d.age_ms)),
      h('dt', {}, 'State'), h('dd', { id: 'check-state' }, STATE[d.state] + (d.decision ? `: ${DECISION[d.decision]}` : '')));
    if (d.photos_for_you) {
      const photos = [];
      if (d.face_photo) photos.push(picture('face', `Face photo of the candidate sitting as ${d.full_name}`, 'Face photo'));
      if (d.id_photo) photos.push(picture('id', `Photo of the ID document shown by the candidate sitting as ${d.full_name}`, 'ID photo'));
      document.getElementById('photos').replaceChildren(...(photos.length ? await Promise.all(photos) : [h('p', {}, 'The candidate took no photos: decide "cannot tell" and say so in the note.')]));
      const thumbs = await Promise.all(d.thumbnails.map((sha, i) => picture(sha, `Camera thumbnail ${i + 1} from the sitting`, `Thumbnail ${i + 1}`)));
      document.getElementById('thumbs').replaceChildren(...(thumbs.length ? thumbs : [h('p', {}, 'No thumbnails from this session.')]));
    } else {
      const only = 'The photos open only for the proctors of this check.';
      document.getElementById('photos').replaceChildren(h('p', {}, only));
      document.getElementById('thumbs').replaceChildren(h('p', {}, only));
    }
    document.getElementById('decisions').replaceChildren(...(d.decisions.length
      ? d.decisions.map((x) => h('li', {}, `${x.stage === 2 ? 'Second' : 'First'} proctor${x.proctor_id === me.user_id ? ' (you)' : ''}: ${DECISION[x.decision]}, ${when(x.wall_ms)}${x.note ? ' – ' + x.note : ''}`,
        x.public_reason ? [h('br'), h('span', { class: 'hint' }, 'Public reason: '), x.public_reason] : null))
      : [h('li', {}, 'None yet.')]));
    const second = d.state === 'awaiting_second';
    const yours = me.role === 'proctor' && (d.state === 'open' ? d.proctor_id === me.user_id : second && d.second_proctor_id === me.user_id);
    // The second proctor starts from the first's public reason, to keep or reword.
    const field = document.getElementById('decide-public');
    if (second && yours && !field.value && d.proposed_public_reason) field.value = d.proposed_public_reason;
    document.getElementById('decide').hidden = !yours;
    // Not the hidden attribute: the radios' display: inline-flex would override it.
    document.querySelector('#decide input[value=cannot_tell]').parentElement.style.display = second ? 'none' : '';
    document.getElementById('decide-state').replaceChildren(...[h('p', {}, d.state === 'decided' ? 'This check is decided.'
      : second ? (yours ? `The first proctor answered "${DECISION[d.proposed_decision]}". As the second proctor, decide whether the photos match.` : 'Waiting for the second proctor.')
        : (yours ? 'Compare both photos with the name on the roster.' : 'This check is not yours to decide.')),
    second && d.proposed_public_reason ? h('p', { id: 'proposed-public-reason' }, h('strong', {}, 'The first proctor\u2019s public reason: '), d.proposed_public_reason,
      yours ? ' (below, to keep or reword if you confirm "does not match")' : '') : null].filter(Boolean));
  }

  document.getElementById('decide').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const picked = document.querySelector('#decide input[name=decision]:checked');
    if (!picked) { say('decide-msg', 'Choose matches, does not match or cannot tell.', 'error'); return; }
    try {
      const body = { decision: picked.value, note: document.getElementById('decide-note').value };
      if (picked.value === 'does_not_match') body.public_reason = document.getElementById('decide-public').value;
      const r = await api('POST', path + '/decision', body);
      await load();
      say('decide-msg', r.state === 'decided'
        ? (r.withheld ? 'Decided: does not match. The result of this sitting is withheld.' : 'Decided: the photos match.')
        : 'Recorded. A second proctor will now decide this check.', 'ok');
      document.getElementById('decide-msg').focus();
    } catch (e) { say('decide-msg', e.message, 'error'); }
  });

  await load();
})();
