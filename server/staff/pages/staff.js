// Shared by every staff page: the JSON API with the CSRF token, the signed-in user, the page
// header, messages, and a tiny element builder (text is always set as text, never as HTML).
'use strict';
const Vigil = (() => {
  let csrf = '';
  let me = null;

  function h(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  const pendingSteps = ['mfa_required', 'password_change_required', 'mfa_enrolment_required'];

  // A modal asking for the password (and code, when the account has one); resolves once the server
  // accepted them, rejects if the user cancels.
  function reauthenticate() {
    return new Promise((resolve, reject) => {
      const msg = h('div', { class: 'message', role: 'alert' });
      const pw = h('input', { id: 'reauth-password', type: 'password', autocomplete: 'current-password' });
      const code = h('input', { id: 'reauth-code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '6' });
      const dialog = h('dialog', { 'aria-labelledby': 'reauth-title' },
        h('h2', { id: 'reauth-title' }, 'Confirm it is you'),
        h('p', {}, 'This change needs your password' + (me && me.mfa_enabled ? ' and a code from your authenticator app.' : '.')),
        msg,
        h('form', { method: 'dialog', onsubmit: async (ev) => {
          ev.preventDefault();
          const b = { password: pw.value };
          if (code.value.trim()) b.code = code.value.trim();
          try { await api('POST', 'me/reauth', b, undefined, true); dialog.close(); dialog.remove(); resolve(); } catch (e) {
            msg.textContent = 'Not confirmed: ' + e.message + '.';
          }
        } },
        h('label', { for: 'reauth-password' }, 'Password'), pw,
        (me && me.mfa_enabled) ? [h('label', { for: 'reauth-code' }, 'Authenticator code'), code] : null,
        h('div', {}, h('button', { type: 'submit' }, 'Confirm'), ' ',
          h('button', { type: 'button', class: 'link', onclick: () => { dialog.close(); dialog.remove(); reject(new Error('not confirmed')); } }, 'Cancel'))));
      document.body.append(dialog);
      dialog.showModal();
      pw.focus();
    });
  }

  async function api(method, path, body, contentType, retried) {
    const opts = { method, headers: {}, credentials: 'same-origin' };
    if (method !== 'GET') opts.headers['X-CSRF-Token'] = csrf;
    if (body !== undefined) {
      if (contentType) { opts.headers['Content-Type'] = contentType; opts.body = body; }
      else { opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(body); }
    }
    const res = await fetch('/staff/api/' + path, opts);
    const type = res.headers.get('Content-Type') || '';
    const data = type.startsWith('application/json') ? await res.json() : null;
    const code = data && data.error && data.error.code;
    // Release, account changes and adverse decisions need the password (and code) again.
    if (res.status === 401 && code === 'reauth_required' && !retried) {
      await reauthenticate();
      return api(method, path, body, contentType, true);
    }
    if (res.status === 403 && pendingSteps.includes(code) && location.pathname !== '/staff/account.html') {
      location.href = '/staff/account.html'; throw new Error('finish signing in first');
    }
    if (res.status === 401 && path !== 'login' && path !== 'me/reauth' && path !== 'me/password' && path !== 'login/mfa') {
      location.href = '/staff/'; throw new Error('please sign in');
    }
    if (!res.ok) {
      const err = new Error((data && data.error && data.error.message) || ('the server answered ' + res.status));
      err.status = res.status; err.data = data;
      throw err;
    }
    return data;
  }

  function say(id, text, kind) {
    const box = document.getElementById(id);
    box.className = 'message' + (kind ? ' ' + kind : '');
    box.textContent = text || '';
  }

  function when(ms) {
    if (ms === undefined || ms === null) return '';
    return new Date(ms).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
  }

  const homes = { programme_admin: '/staff/admin.html', council_manager: '/staff/council.html', proctor: '/staff/review.html', assessor: '/staff/marking.html' };

  // Loads the signed-in user (or goes to the sign-in page) and fills in the header's navigation.
  async function start(roles) {
    const data = await api('GET', 'me');
    me = data.user; csrf = data.csrf_token;
    me.mfa_enabled = data.mfa_enabled;
    if (data.pending && location.pathname !== '/staff/account.html') { location.href = '/staff/account.html'; throw new Error('finish signing in first'); }
    if (roles && !roles.includes(me.role)) { location.href = homes[me.role]; throw new Error('wrong page for this role'); }
    const nav = document.getElementById('nav');
    const links = [];
    if (me.role === 'programme_admin') links.push(['Administration', '/staff/admin.html'], ['Councils', '/staff/council.html'], ['Review queue', '/staff/review.html']);
    if (me.role === 'proctor') links.push(['My work', '/staff/my_work.html']);
    if (me.role === 'programme_admin' || me.role === 'proctor') links.push(['Identity checks', '/staff/identity.html']);
    if (me.role === 'programme_admin' || me.role === 'proctor') links.push(['Appeals', '/staff/appeals.html']);
    if (me.role === 'programme_admin') links.push(['Workload', '/staff/workload.html'], ['Results', '/staff/results.html']);
    if (me.role === 'council_manager') links.push(['Your candidates', '/staff/council.html']);
    if (me.role === 'proctor') links.push(['Review queue', '/staff/review.html']);
    if (me.role === 'assessor') links.push(['Marking', '/staff/marking.html']);
    const ul = h('ul');
    for (const [text, href] of links) {
      const a = h('a', { href }, text);
      if (location.pathname === href) a.setAttribute('aria-current', 'page');
      ul.append(h('li', {}, a));
    }
    ul.append(h('li', {}, h('a', { href: '/staff/account.html' }, 'Your account')));
    ul.append(h('li', {}, h('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out ' + me.display_name)));
    nav.replaceChildren(ul);
    return me;
  }

  async function signOut() {
    try { await api('POST', 'logout'); } finally { location.href = '/staff/'; }
  }

  function labels(map, key) { return map[key] || key; }

  // The start of a queue page that proctors and admins share (the review and identity queues):
  // admins also get the page's Assign column and the active proctors to assign to; each role's
  // sentence is added to the page's introduction.
  async function startQueue(adminIntro, proctorIntro) {
    const me = await start(['proctor', 'programme_admin']);
    const admin = me.role === 'programme_admin';
    let proctors = [];
    if (admin) {
      document.getElementById('assign-col').hidden = false;
      proctors = (await api('GET', 'users')).users.filter((u) => u.role === 'proctor' && !u.disabled);
    }
    document.getElementById('intro').textContent += ' ' + (admin ? adminIntro : proctorIntro);
    return { me, admin, proctors };
  }

  // How long something has waited, in words ("3 h 5 min"), from milliseconds.
  function age(ms) {
    const minutes = Math.floor(ms / 60000);
    if (minutes < 1) return 'under a minute';
    const d = Math.floor(minutes / 1440), hrs = Math.floor((minutes % 1440) / 60), min = minutes % 60;
    return [d ? d + ' d' : '', hrs ? hrs + ' h' : '', min ? min + ' min' : ''].filter(Boolean).join(' ');
  }

  // A review's or an identity check's timing (age_ms, target_ms, due_wall_ms, overdue from the
  // API): "Due in 3 h (by 8 Dec 2026, 14:00)" or, in words and not by colour alone, "Overdue by
  // 2 h (was due ...)".
  function due(w) {
    if (w.overdue) {
      return [h('strong', { class: 'overdue-text' }, 'Overdue'), ' by ' + age(w.age_ms - w.target_ms), h('br'),
        h('span', { class: 'hint' }, 'was due ' + when(w.due_wall_ms))];
    }
    return ['Due in ' + age(w.target_ms - w.age_ms), h('br'), h('span', { class: 'hint' }, 'by ' + when(w.due_wall_ms))];
  }

  // The work pages (my_work.html, workload.html): an item's name, its link, the proctor's part,
  // and the targets in a sentence.
  function workTitle(w) {
    return w.kind === 'review' ? 'Review of session ' + w.session_id : 'Identity check: ' + w.full_name;
  }
  function workLink(w, cls) {
    const page = w.kind === 'review' ? '/staff/session.html' : '/staff/identity_check.html';
    const href = `${page}?d=${encodeURIComponent(w.device_id)}&s=${encodeURIComponent(w.session_id)}`;
    return [h('a', { href, class: cls }, workTitle(w)), h('br'),
      h('span', { class: 'hint' }, w.kind === 'review' ? 'candidate ' + w.candidate_id : 'sitting ' + w.session_id)];
  }
  function partText(w) {
    if (w.part === 'second') return w.kind === 'review' ? 'Second proctor: confirm or not' : 'Second proctor: decide';
    return w.state === 'open' && w.kind === 'review' ? 'Decide the session' : 'First decision';
  }
  function targetsText(t) {
    return `Targets: an identity check within ${t.identity_hours} hours of the submission, a review within ${t.review_hours} hours of the first flag.`;
  }

  // j and k move the focus down and up a queue's open links (`selector`), as in a mail client;
  // not while typing in a field, and not with a modifier (the browser's own shortcuts).
  function queueKeys(selector) {
    document.addEventListener('keydown', (ev) => {
      if (ev.target.matches('input, select, textarea') || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      const links = [...document.querySelectorAll(selector)];
      if (!links.length) return;
      const at = links.indexOf(document.activeElement);
      if (ev.key === 'j') { links[Math.min(links.length - 1, at + 1)].focus(); ev.preventDefault(); }
      if (ev.key === 'k') { links[Math.max(0, at - 1)].focus(); ev.preventDefault(); }
    });
  }

  // An image the server opens for this request only (an identity photo, a thumbnail, evidence),
  // fetched by the page and shown from memory, in a figure with its caption; a failure says why.
  async function picture(apiPath, alt, caption) {
    const figure = h('figure', {});
    try {
      const res = await fetch('/staff/api/' + apiPath, { credentials: 'same-origin' });
      if (!res.ok) { const d = await res.json(); throw new Error(d.error.message); }
      figure.append(h('img', { src: URL.createObjectURL(await res.blob()), alt }));
    } catch (e) {
      figure.append(h('p', { class: 'message error' }, `Could not show the ${caption.toLowerCase()}: ${e.message}`));
    }
    figure.append(h('figcaption', {}, caption));
    return figure;
  }

  // Fills a decision form's "standard wording" select (#decide-public-preset) with `reasons`;
  // choosing one puts it in the public reason field (#decide-public) to keep or reword.
  function publicReasonPresets(reasons) {
    const preset = document.getElementById('decide-public-preset');
    preset.append(...reasons.map((r) => h('option', { value: r }, r)));
    preset.addEventListener('change', () => { if (preset.value) document.getElementById('decide-public').value = preset.value; });
  }

  return { h, api, say, when, age, due, workTitle, workLink, partText, targetsText, start, picture, publicReasonPresets, startQueue, homes, labels, queueKeys, get me() { return me; }, setCsrf(t) { csrf = t; } };
})();
