'use strict';
(async () => {
  const { h, api, say, when } = Vigil;
  const DECISION = { matches: 'Matches', does_not_match: 'Does not match', cannot_tell: 'Cannot tell' };
  const STATE = { open: 'Waiting for a first decision', awaiting_second: 'Waiting for a second proctor', decided: 'Decided' };
  const me = await Vigil.start(['proctor']);
  const params = new URLSearchParams(location.search);
  const path = `identity/${encodeURIComponent(params.get('d') || '')}/${encodeURIComponent(params.get('s') || '')}`;

  // Each picture is fetched by the page (the server opens it for this request only) and shown from
  // memory; nothing is kept once the page is left.
  async function picture(which, alt, caption) {
    const figure = h('figure', {});
    try {
      const res = await fetch('/staff/api/' + path + '/photos/' + which, { credentials: 'same-origin' });
      if (!res.ok) { const d = await res.json(); throw new Error(d.error.message); }
      figure.append(h('img', { src: URL.createObjectURL(await res.blob()), alt }));
    } catch (e) {
      figure.append(h('p', { class: 'message error' }, `Could not show the ${caption.toLowerCase()}: ${e.message}`));
    }
    figure.append(h('figcaption', {}, caption));
    return figure;
  }

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
    const photos = [];
    if (d.face_photo) photos.push(picture('face', `Face photo of the candidate sitting as ${d.full_name}`, 'Face photo'));
    if (d.id_photo) photos.push(picture('id', `Photo of the ID document shown by the candidate sitting as ${d.full_name}`, 'ID photo'));
    document.getElementById('photos').replaceChildren(...(photos.length ? await Promise.all(photos) : [h('p', {}, 'The candidate took no photos: decide "cannot tell" and say so in the note.')]));
    const thumbs = await Promise.all(d.thumbnails.map((sha, i) => picture(sha, `Camera thumbnail ${i + 1} from the sitting`, `Thumbnail ${i + 1}`)));
    document.getElementById('thumbs').replaceChildren(...(thumbs.length ? thumbs : [h('p', {}, 'No thumbnails from this session.')]));
    document.getElementById('decisions').replaceChildren(...(d.decisions.length
      ? d.decisions.map((x) => h('li', {}, `${x.stage === 2 ? 'Second' : 'First'} proctor${x.proctor_id === me.user_id ? ' (you)' : ''}: ${DECISION[x.decision]}, ${when(x.wall_ms)}${x.note ? ' – ' + x.note : ''}`))
      : [h('li', {}, 'None yet.')]));
    const second = d.state === 'awaiting_second';
    const yours = d.state === 'open' ? d.proctor_id === me.user_id : second && d.second_proctor_id === me.user_id;
    document.getElementById('decide').hidden = !yours;
    // Not the hidden attribute: the radios' display: inline-flex would override it.
    document.querySelector('#decide input[value=cannot_tell]').parentElement.style.display = second ? 'none' : '';
    document.getElementById('decide-state').replaceChildren(h('p', {}, d.state === 'decided' ? 'This check is decided.'
      : second ? (yours ? `The first proctor answered "${DECISION[d.proposed_decision]}". As the second proctor, decide whether the photos match.` : 'Waiting for the second proctor.')
        : (yours ? 'Compare both photos with the name on the roster.' : 'This check is not yours to decide.')));
  }

  document.getElementById('decide').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const picked = document.querySelector('#decide input[name=decision]:checked');
    if (!picked) { say('decide-msg', 'Choose matches, does not match or cannot tell.', 'error'); return; }
    try {
      const r = await api('POST', path + '/decision', { decision: picked.value, note: document.getElementById('decide-note').value });
      await load();
      say('decide-msg', r.state === 'decided'
        ? (r.withheld ? 'Decided: does not match. The result of this sitting is withheld.' : 'Decided: the photos match.')
        : 'Recorded. A second proctor will now decide this check.', 'ok');
      document.getElementById('decide-msg').focus();
    } catch (e) { say('decide-msg', e.message, 'error'); }
  });

  await load();
})();
