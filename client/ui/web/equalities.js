// The optional equalities questions (docs/EQUALITIES.md), offered after submission. The questions
// and answers come from the client (GET /api/equalities: the same list the server checks); each
// has "Prefer not to say", and any may be left unanswered. Saving (PUT /api/equalities) keeps the
// answers encrypted on this computer; Vigil sends them when online. Text only via textContent.
'use strict';

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k === 'checked') e.checked = Boolean(v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

async function call(method, body) {
  const init = { method, credentials: 'same-origin', cache: 'no-store', headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch('/api/equalities', init);
  const data = await r.json().catch(() => ({}));
  if (!r.ok) {
    const err = new Error((data.error && data.error.message) || `Vigil answered ${r.status}. Please try again.`);
    err.field = data.error && data.error.field;
    throw err;
  }
  return data;
}

function question(q, current) {
  const name = `eq-${q.field}`;
  const hint = el('p', { class: 'fieldset__hint', id: `${name}-hint`, text: 'Optional. You can leave this unanswered.' });
  const fs = el('fieldset', { class: 'fieldset', id: name, 'aria-describedby': `${name}-hint` },
    el('legend', { class: 'fieldset__legend', text: q.question }), hint);
  q.options.forEach((o, i) => {
    const id = `${name}-${i}`;
    fs.append(el('div', { class: 'choice' },
      el('input', { type: 'radio', class: 'choice__input', name: q.field, id, value: o.code, checked: current === o.code }),
      el('label', { class: 'choice__label', for: id, text: o.label })));
  });
  return fs;
}

function showError(message) {
  const slot = document.getElementById('eq-error');
  slot.replaceChildren(el('div', { class: 'error-summary', role: 'alert' },
    el('h2', { class: 'error-summary__title', text: 'Your answers were not saved' }), el('p', { text: message })));
  slot.focus();
}

async function load() {
  const status = document.getElementById('eq-status');
  const form = document.getElementById('eq-form');
  let data;
  try {
    data = await call('GET');
  } catch (e) {
    status.textContent = `The questions could not be shown: ${e.message}`;
    return;
  }
  const current = data.declaration || {};
  document.getElementById('eq-questions').replaceChildren(...data.vocabulary.map((q) => question(q, current[q.field])));
  form.hidden = false;
  if (data.declaration) {
    status.textContent = data.sent
      ? 'Your earlier answers are shown. They have been sent.'
      : 'Your earlier answers are shown. Vigil sends them when this computer is online.';
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { v: 1 };
    for (const q of data.vocabulary) {
      const picked = form.querySelector(`input[name="${q.field}"]:checked`);
      body[q.field] = picked ? picked.value : null;
    }
    try {
      await call('PUT', body);
      document.getElementById('eq-error').replaceChildren();
      status.textContent = 'Thank you. Your answers are saved on this computer, and Vigil sends them when it is online. '
        + 'You can change them here at any time.';
    } catch (e) {
      showError(e.message);
    }
  });
}

document.addEventListener('DOMContentLoaded', load);
