'use strict';
// The assessor's marking page: the queue, then one script at a time with the task, the answer and
// the rubric beside a mark and a comment per KSS area. The server decides what happens next
// (second or third marking, or final); this page only shows it.
(async () => {
  const { h, api, say } = Vigil;
  const NEEDED = { first: 'First marking', second: 'Second marking', third: 'Third marking (final)' };
  await Vigil.start(['assessor']);
  let scale = { min: 0, max: 10 };
  let current = null;

  async function loadQueue() {
    try {
      const d = await api('GET', 'marking/queue');
      scale = d.scale;
      document.getElementById('scale-max').textContent = String(scale.max);
      const rows = d.scripts.map((s, i) => h('tr', {},
        h('td', {}, String(i + 1)),
        h('th', { scope: 'row' }, h('button', { type: 'button', class: 'link open-script', onclick: () => openScript(s.script_id) },
          'Script ' + s.script_id)),
        h('td', {}, NEEDED[s.marking] || s.marking)));
      document.querySelector('#queue tbody').replaceChildren(...rows);
      say('queue-msg', rows.length ? `${rows.length} script(s) waiting for you.` : 'No scripts are waiting for you.');
    } catch (e) { say('msg', e.message, 'error'); }
  }

  function paragraphs(list) { return (list || []).map((p) => h('p', {}, p)); }

  function showScript(s) {
    current = s;
    const section = document.getElementById('script');
    document.getElementById('h-script').textContent = `Script ${s.script_id}: ${(NEEDED[s.marking] || s.marking).toLowerCase()}`;
    document.getElementById('tasks').replaceChildren(...s.tasks.map((t, i) => {
      const guidance = t.words ? ` (guidance ${t.words.min} to ${t.words.max} words)` : '';
      const material = (t.case_material || []).length
        ? h('details', {}, h('summary', {}, 'Case material the candidate read'),
          ...t.case_material.map((d) => [h('h3', {}, d.title), ...paragraphs(d.paragraphs)]))
        : null;
      return h('div', { class: 'task' },
        material,
        h('h3', {}, s.tasks.length > 1 ? `Task ${i + 1}` : 'Task'),
        ...paragraphs(t.stem),
        h('h3', { id: 'answer-h-' + i }, 'Answer'),
        h('p', { class: 'hint' }, `${t.word_count} words${guidance}`),
        h('div', { class: 'answer', tabindex: '0', role: 'region', 'aria-labelledby': 'answer-h-' + i }, t.answer || '(no answer)'));
    }));
    const earlier = document.getElementById('earlier');
    earlier.replaceChildren();
    if (s.earlier_markings && s.earlier_markings.length) {
      const head = h('tr', {}, h('th', { scope: 'col' }, 'Area'),
        ...s.earlier_markings.map((m) => [h('th', { scope: 'col' }, `Marking ${m.round}: mark`), h('th', { scope: 'col' }, `Marking ${m.round}: comment`)]));
      const body = s.areas.map((a) => h('tr', {}, h('th', { scope: 'row' }, a.kss), ...s.earlier_markings.map((m) => {
        const x = m.marks.find((k) => k.kss === a.kss) || {};
        return [h('td', {}, x.mark === undefined ? '' : `${x.mark} / ${x.max}`), h('td', {}, x.comment || '')];
      })));
      earlier.append(h('h3', {}, 'Earlier markings'),
        h('p', { class: 'hint' }, 'The two earlier markings disagreed. Your marks are final.'),
        h('div', { class: 'table-wrap' }, h('table', {}, h('caption', { class: 'visually-hidden' }, 'Earlier markings per KSS area'),
          h('thead', {}, head), h('tbody', {}, body))));
    }
    document.getElementById('areas').replaceChildren(...s.areas.map((a, i) => h('fieldset', { class: 'area' },
      h('legend', {}, 'KSS area ' + a.kss),
      h('div', { class: 'rubric' }, h('p', { class: 'hint', id: 'rubric-' + i }, 'Rubric'),
        h('ul', { id: 'rubric-list-' + i, 'aria-labelledby': 'rubric-' + i }, a.descriptors.map((d) => h('li', {}, d)))),
      h('div', {},
        h('label', { for: 'mark-' + i }, `Mark for ${a.kss} (${scale.min} to ${scale.max})`),
        h('input', { id: 'mark-' + i, type: 'number', min: String(scale.min), max: String(scale.max), step: '1', inputmode: 'numeric', required: true, 'data-kss': a.kss, class: 'mark', 'aria-describedby': 'rubric-list-' + i }),
        h('label', { for: 'comment-' + i }, `Comment for ${a.kss}`),
        h('textarea', { id: 'comment-' + i, maxlength: '2000', required: true, 'data-kss': a.kss, class: 'comment' })))));
    say('marks-msg', '');
    section.hidden = false;
    document.getElementById('h-script').focus();
  }

  async function openScript(id) {
    try {
      const d = await api('GET', 'marking/scripts/' + encodeURIComponent(id));
      showScript(d.script);
      say('msg', '');
    } catch (e) { say('msg', e.message, 'error'); loadQueue(); }
  }

  function closeScript() {
    current = null;
    document.getElementById('script').hidden = true;
    return loadQueue();
  }

  const OUTCOME = {
    second: 'Marks saved. The script is near the pass mark, so a second assessor will mark it.',
    third: 'Marks saved. The two markings disagree, so a third assessor will decide.',
    final: 'Marks saved. The marks of this script are final.',
  };

  document.getElementById('marks').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!current) return;
    const marks = [];
    const inputs = [...document.querySelectorAll('#areas input.mark')];
    for (const input of inputs) {
      const comment = document.querySelector(`#areas textarea.comment[data-kss="${input.dataset.kss}"]`);
      const value = input.value.trim();
      if (!/^\d+$/.test(value) || Number(value) > scale.max) {
        input.setAttribute('aria-invalid', 'true');
        say('marks-msg', `The mark for ${input.dataset.kss} must be a whole number from ${scale.min} to ${scale.max}.`, 'error');
        input.focus();
        return;
      }
      input.removeAttribute('aria-invalid');
      if (!comment.value.trim()) {
        comment.setAttribute('aria-invalid', 'true');
        say('marks-msg', `Please write a comment for ${input.dataset.kss}.`, 'error');
        comment.focus();
        return;
      }
      comment.removeAttribute('aria-invalid');
      marks.push({ kss: input.dataset.kss, mark: Number(value), comment: comment.value });
    }
    try {
      const d = await api('POST', `marking/scripts/${encodeURIComponent(current.script_id)}/marks`, { round: current.round, marks });
      const id = current.script_id;
      await closeScript();
      say('msg', `Script ${id}: ${OUTCOME[d.state] || 'marks saved.'}`, 'ok');
      document.getElementById('main').focus();
    } catch (e) { say('marks-msg', e.message, 'error'); }
  });
  document.getElementById('close').addEventListener('click', () => { closeScript(); say('msg', ''); });

  Vigil.queueKeys('button.open-script');
  loadQueue();
})();
