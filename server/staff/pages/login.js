'use strict';
(async () => {
  // The form is handled before anything is awaited: a sign-in typed (or filled by a password
  // manager) before the check below answers must not fall through to the browser's own submit,
  // which would reload the page with the password in its address.
  document.getElementById('login').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const email = document.getElementById('email').value.trim();
    const password = document.getElementById('password').value;
    if (!email || !password) { Vigil.say('msg', 'Enter your email address and password.', 'error'); return; }
    Vigil.say('msg', 'Signing in…');
    try {
      const d = await Vigil.api('POST', 'login', { email, password });
      // A code, a first password change or an authenticator set-up may still be owed.
      location.href = d.pending ? '/staff/account.html' : Vigil.homes[d.user.role];
    } catch (e) {
      Vigil.say('msg', 'Could not sign in: ' + e.message + '.', 'error');
      document.getElementById('password').value = '';
      document.getElementById('email').focus();
    }
  });
  // Already signed in: go to this role's home page.
  try {
    const res = await fetch('/staff/api/me', { credentials: 'same-origin' });
    if (res.ok) { const d = await res.json(); location.href = d.pending ? '/staff/account.html' : Vigil.homes[d.user.role]; }
  } catch (e) { /* not signed in */ }
})();
