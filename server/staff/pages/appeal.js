// One appeal (GET /staff/api/appeals/{id}; docs/STAFF.md "Appeals"): the candidate's reason, the
// decision under appeal (the proctors' decisions with their public reasons and notes, the flags
// and identity photos they saw, opened only for this appeal's two reviewers), and the outcome:
// the reviewer proposes upheld or overturned, the second reviewer confirms or sends it back. Both
// give a public reason. Programme admins follow it without the evidence. ?a=APPEAL_ID.
'use strict';
(async () => {
  const { h, api, say, when } = Vigil;
  const OUTCOME = { upheld: 'Upheld: the decision stands', overturned: 'Overturned: the result is released' };
  const STATE = { lodged: 'Waiting for a reviewer', assigned: 'With the reviewer', proposed: 'Waiting for the second reviewer', decided: 'Decided' };
  const REVIEW = { no_concerns: 'No concerns', concerns: 'Concerns', breach: 'Breach of the rules' };
  const FLAG = { dismiss: 'Dismissed', note: 'Noted', concern: 'Concern' };
  const IDENTITY = { matches: 'Matches', does_not_match: 'Does not match', cannot_tell: 'Cannot tell' };
  // Standard public reasons (docs/STAFF.md "Appeals").
  const PUBLIC_REASONS = [
    'The evidence does not show a breach of the rules: the decision is overturned and the result is released.',
    'The photos do show the endorsed candidate: the decision is overturned and the result is released.',
    'The evidence supports the decision, and the appeal gives no reason to change it: the decision stands.',
  ];
  const me = await Vigil.start(['programme_admin', 'proctor']);
  Vigil.publicReasonPresets(PUBLIC_REASONS);
  const id = new URLSearchParams(location.search).get('a') || '';
  const path = 'appeals/' + encodeURIComponent(id);

  // Each picture is opened by the server for this request only (appeal.evidence, audited).
  function picture(device, which, alt, caption) {
    return Vigil.picture(`${path}/evidence/${encodeURIComponent(device)}/${encodeURIComponent(which)}`, alt, caption);
  }

  function who(idNum) { return idNum === me.user_id ? 'you' : 'proctor ' + idNum; }

  async function original(d) {
    const parts = [];
    for (const r of d.reviews) {
      const box = h('div', { class: 'photos' });
      const flags = h('ul', { class: 'plain' }, r.flags.map((f, i) => h('li', {},
        `${f.check} (${f.severity}, ${when(f.start_wall_ms)})`, f.decision ? ` – ${FLAG[f.decision.decision] || f.decision.decision} by ${who(f.decision.by)}: ${f.decision.note}` : '',
        d.evidence_for_you && f.evidence.length ? h('button', { type: 'button', class: 'secondary', onclick: async (ev) => {
          ev.target.disabled = true;
          box.append(...await Promise.all(f.evidence.map((sha, k) => picture(r.device_id, sha, `Evidence ${k + 1} of flag ${i + 1}: ${f.check}`, `Flag ${i + 1}, evidence ${k + 1}`))));
        } }, 'Show evidence', h('span', { class: 'visually-hidden' }, ` of flag ${i + 1}`)) : null)));
      parts.push(h('h3', {}, `Proctor review (round ${r.round})`),
        h('p', {}, r.decision ? `Decided: ${REVIEW[r.decision] || r.decision}.` : `Not decided (${r.state}).`),
        h('ol', {}, r.decisions.map((x) => h('li', {}, `${REVIEW[x.decision] || x.decision} by ${who(x.proctor_id)}, ${when(x.wall_ms)} – ${x.note}`,
          x.public_reason ? [h('br'), h('span', { class: 'hint' }, 'Public reason: '), x.public_reason] : null))),
        h('h4', {}, 'Flags'), r.flags.length ? flags : h('p', {}, 'No flags.'), box);
    }
    for (const k of d.identity_checks) {
      parts.push(h('h3', {}, 'Identity check'),
        h('p', {}, `On the roster: ${k.full_name}, ${k.level.replace('_', ' ')}. ` + (k.decision ? `Decided: ${IDENTITY[k.decision]}.` : `Not decided (${k.state}).`)),
        h('ol', {}, k.decisions.map((x) => h('li', {}, `${IDENTITY[x.decision]} by ${who(x.proctor_id)} (${x.stage === 2 ? 'second' : 'first'} proctor), ${when(x.wall_ms)}${x.note ? ' – ' + x.note : ''}`,
          x.public_reason ? [h('br'), h('span', { class: 'hint' }, 'Public reason: '), x.public_reason] : null))));
      if (d.evidence_for_you) {
        const pics = [];
        if (k.face_photo) pics.push(picture(k.device_id, 'face', `Face photo of the candidate sitting as ${k.full_name}`, 'Face photo'));
        if (k.id_photo) pics.push(picture(k.device_id, 'id', `Photo of the ID document shown by the candidate sitting as ${k.full_name}`, 'ID photo'));
        k.thumbnails.forEach((sha, i) => pics.push(picture(k.device_id, sha, `Camera thumbnail ${i + 1} from the sitting`, `Thumbnail ${i + 1}`)));
        parts.push(h('div', { class: 'photos' }, ...(pics.length ? await Promise.all(pics) : [h('p', {}, 'The candidate took no photos.')])));
      }
    }
    if (!d.evidence_for_you) parts.push(h('p', {}, 'The evidence opens only for the reviewers of this appeal.'));
    document.getElementById('original').replaceChildren(...parts);
  }

  async function load() {
    let d;
    try { d = await api('GET', path); } catch (e) { say('msg', e.message, 'error'); document.getElementById('decide').hidden = true; return; }
    document.getElementById('title').textContent = 'Appeal: ' + d.full_name;
    document.getElementById('facts').replaceChildren(
      h('dt', {}, 'Candidate'), h('dd', {}, `${d.full_name} (${d.council_name})`),
      h('dt', {}, 'Sitting'), h('dd', {}, `${d.sitting_id}, ${d.assessment_id}`),
      h('dt', {}, 'Decision appealed'), h('dd', {}, `${d.appealed_state_label}, decided ${when(d.decision_wall_ms)}`),
      h('dt', {}, 'Received'), h('dd', {}, `${when(d.lodged_wall_ms)} (the period ended ${when(d.appeal_until_wall_ms)})`),
      h('dt', {}, 'State of the result now'), h('dd', {}, d.state_now_label + (d.public_reason_now ? ': ' + d.public_reason_now : '')),
      h('dt', {}, 'Appeal'), h('dd', { id: 'appeal-state' }, d.state === 'decided' ? `Decided: ${OUTCOME[d.outcome]}` : STATE[d.state] + (d.disputed ? ' (the reviewers disagreed)' : '')));
    document.getElementById('reason').textContent = d.reason;
    await original(d);
    document.getElementById('decisions').replaceChildren(...(d.decisions.length
      ? d.decisions.map((x) => h('li', {}, `${x.stage === 2 ? 'Second reviewer' : 'Reviewer'} (${who(x.staff_id)}): ${OUTCOME[x.outcome]}, ${when(x.wall_ms)} – ${x.note}`,
        h('br'), h('span', { class: 'hint' }, 'Public reason: '), x.public_reason))
      : [h('li', {}, 'None yet.')]));
    const second = d.state === 'proposed';
    const yours = me.role === 'proctor' && (d.state === 'assigned' ? d.reviewer_id === me.user_id : second && d.second_reviewer_id === me.user_id);
    const field = document.getElementById('decide-public');
    if (second && yours && !field.value && d.proposed_public_reason) field.value = d.proposed_public_reason;
    document.getElementById('decide').hidden = !yours;
    let text;
    if (d.state === 'decided') text = `This appeal is decided: ${OUTCOME[d.outcome]}. Public reason: ${d.public_reason}`;
    else if (d.state === 'lodged') text = 'No reviewer is assigned yet: a programme admin assigns one on the Appeals page.';
    else if (second) text = yours ? `The reviewer proposed "${OUTCOME[d.proposed_outcome]}". As the second reviewer, record the same outcome to decide the appeal, or the other one to send it back.`
      : (d.proposed_by === me.user_id ? 'You proposed the outcome; the second reviewer, a different person, must agree.' : 'Waiting for the second reviewer.');
    else text = yours ? 'Look at the candidate\u2019s reason and the evidence, then propose an outcome. A second reviewer must agree.' : 'This appeal is not yours to decide.';
    document.getElementById('decide-state').replaceChildren(h('p', {}, text),
      second && d.proposed_public_reason ? h('p', { id: 'proposed-public-reason' }, h('strong', {}, 'The reviewer\u2019s public reason: '), d.proposed_public_reason,
        yours ? ' (below, to keep or reword if you agree)' : '') : '');
  }

  document.getElementById('decide').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const picked = document.querySelector('#decide input[name=outcome]:checked');
    if (!picked) { say('decide-msg', 'Choose upheld or overturned.', 'error'); return; }
    try {
      const r = await api('POST', path + '/decision', { outcome: picked.value, note: document.getElementById('decide-note').value,
        public_reason: document.getElementById('decide-public').value });
      await load();
      let text;
      if (r.state === 'decided') {
        text = r.outcome === 'overturned'
          ? `Decided: overturned. ${r.released ? 'The result is released now' : 'The result will be released: ' + r.next}${r.certificate_issued ? ', with its certificate.' : '.'}`
          : 'Decided: upheld. The decision stands.';
      } else if (r.state === 'proposed') text = 'Recorded. The second reviewer must agree before it takes effect.';
      else text = 'Recorded. You and the reviewer disagree: the appeal goes back to a programme admin, who assigns two people who have not decided it.';
      say('decide-msg', text, 'ok');
      document.getElementById('decide-msg').focus();
    } catch (e) { say('decide-msg', e.message, 'error'); }
  });

  await load();
})();
