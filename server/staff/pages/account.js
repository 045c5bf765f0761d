'use strict';
// The account page: the second step of a sign-in, a first password change, setting up an
// authenticator app, and (when nothing is owed) changing the password or replacing the app.
(async () => {
  const $ = (id) => document.getElementById(id);
  let me;
  try { me = await Vigil.api('GET', 'me'); } catch (e) { return; }
  Vigil.setCsrf(me.csrf_token);
  const show = (id) => { for (const s of ['mfa-step', 'password-step', 'enrol-step', 'recovery-step']) $(s).hidden = s !== id; };

  function next(d) {
    me = d;
    if (d.pending === 'mfa_required') { show('mfa-step'); $('mfa-code').focus(); return; }
    if (d.pending === 'password_change_required') { show('password-step'); $('current-password').focus(); return; }
    if (d.pending === 'mfa_enrolment_required') { show('enrol-step'); return; }
    location.href = Vigil.homes[d.user.role];
  }

  $('mfa-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const code = $('mfa-code').value.trim();
    const recovery = $('mfa-recovery').value.trim();
    try {
      next(await Vigil.api('POST', 'login/mfa', recovery ? { recovery_code: recovery } : { code }));
    } catch (e) { Vigil.say('msg', 'Could not continue: ' + e.message + '.', 'error'); $('mfa-code').value = ''; }
  });

  $('password-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const d = await Vigil.api('POST', 'me/password', { current_password: $('current-password').value, new_password: $('new-password').value });
      Vigil.say('msg', 'Your password is saved.');
      $('current-password').value = ''; $('new-password').value = '';
      if (pendingOnly) next(d);
    } catch (e) { Vigil.say('msg', 'Could not save the password: ' + e.message + '.', 'error'); }
  });

  $('enrol-start').addEventListener('click', async () => {
    try {
      const d = await Vigil.api('POST', 'me/mfa/enrol');
      $('enrol-secret').textContent = d.secret;
      $('enrol-uri').href = d.otpauth_uri;
      $('enrol-key').hidden = false;
      $('enrol-code').focus();
    } catch (e) { Vigil.say('msg', 'Could not start: ' + e.message + '.', 'error'); }
  });

  $('enrol-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const d = await Vigil.api('POST', 'me/mfa/confirm', { code: $('enrol-code').value.trim() });
      $('recovery-list').replaceChildren(...d.recovery_codes.map((c) => Vigil.h('li', {}, Vigil.h('code', {}, c))));
      $('continue').href = Vigil.homes[me.user.role];
      show('recovery-step');
      Vigil.say('msg', 'Your authenticator app is on.');
    } catch (e) { Vigil.say('msg', 'Could not turn it on: ' + e.message + '.', 'error'); }
  });

  // Nothing owed: the page is for changing the password or replacing the authenticator.
  const pendingOnly = !!me.pending;
  if (pendingOnly) { next(me); return; }
  await Vigil.start();
  $('password-title').textContent = 'Change your password';
  $('password-why').textContent = 'You need your current password. Every other sign-in of your account ends.';
  $('enrol-why').textContent = me.mfa_enabled ? 'Replace your authenticator app (for a new phone). You will be asked to confirm your password and code first.' : 'Add a code from an authenticator app to your sign-in.';
  $('password-step').hidden = false;
  $('enrol-step').hidden = false;
})();
